// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// The managed GEMM: the GotoBLAS loop nest. B is packed KC×NR panel by panel, A MC×KC in MR-row slivers, and a
/// 6×16 register tile (12 AVX accumulators) multiplies a sliver by a panel. Packing makes every inner load
/// contiguous and keeps the A block in L2 and the B panel in L1 while they are reused.
/// </summary>
/// <remarks>Each worker thread keeps its own packing buffers (thread-static, made once), so a call allocates nothing.</remarks>
internal static unsafe class PackedGemm
{
    public const int MR = 6;
    public const int NR = 16;
    private const int KC = 256;
    private const int MC = 72;
    /// <summary>Columns of B packed at a time (2 MB with KC, in L3; a panel of it stays in L1 while A's slivers
    /// pass). Each thread's band of columns repacks A once per NC columns: with 256, A was packed six times a band on
    /// AlexNet's conv1 shape. In one process, alternating (2-core EPYC, AVX2): 96×3025×363 63.9–92.9 → 74.6–102.2
    /// GFLOP/s, 256×729×1200 90.8–132.1 → 104.1–137.5, equal on 384×169×2304.</summary>
    private const int NC = 2048;

    [ThreadStatic]
    private static float[]? _packA;

    [ThreadStatic]
    private static float[]? _packB;

    /// <summary>The packed kernel on one band of columns per work item; kept per calling thread and refilled,
    /// so a call allocates nothing.</summary>
    internal sealed class Job : IWorkItem
    {
        [ThreadStatic]
        private static Job? _cached;

        private GemmCall _call;
        private int _bandWidth;

        public static Job For(in GemmCall call, int bandWidth)
        {
            var job = _cached ??= new Job();
            job._call = call;
            job._bandWidth = bandWidth;
            return job;
        }

        public void Run(int band)
        {
            ref readonly var g = ref _call;
            var j0 = band * _bandWidth;
            var j1 = Math.Min(g.N, j0 + _bandWidth);
            Band(g.M, j0, j1, g.K, g.Alpha, g.A, g.Lda, g.B, g.Ldb, g.Beta, g.C, g.Ldc);
        }
    }

    /// <summary>A matrix-vector product's arguments, rows split into bands; kept per calling thread.</summary>
    internal sealed class GemvJob : IWorkItem
    {
        [ThreadStatic]
        private static GemvJob? _cached;

        private int _m, _k, _lda, _incx, _incy;
        private float _alpha, _beta;
        private float* _a, _x, _y;

        public int Bands { get; private set; }

        public static GemvJob For(int m, int k, float alpha, float* a, int lda, float* x, int incx, float beta, float* y, int incy, int bands)
        {
            var job = _cached ??= new GemvJob();
            job._m = m;
            job._k = k;
            job._alpha = alpha;
            job._a = a;
            job._lda = lda;
            job._x = x;
            job._incx = incx;
            job._beta = beta;
            job._y = y;
            job._incy = incy;
            job.Bands = Math.Min(bands, Math.Max(1, m));
            return job;
        }

        public void Run(int band)
        {
            var i0 = (int)((long)_m * band / Bands);
            var i1 = (int)((long)_m * (band + 1) / Bands);
            float[]? packed = null;
            var xs = _x;
            if (_incx != 1)
            {
                // A strided vector is rare (never on the live path): gather it once per band.
                packed = new float[_k];
                for (var p = 0; p < _k; p++)
                {
                    packed[p] = _x[(long)p * _incx];
                }
            }

            fixed (float* xp = packed)
            {
                if (packed is not null)
                {
                    xs = xp;
                }

                for (var i = i0; i < i1; i++)
                {
                    var dot = Dot(_a + ((long)i * _lda), xs, _k);
                    ref var yi = ref _y[(long)i * _incy];
                    yi = _beta == 0f ? _alpha * dot : (_alpha * dot) + (_beta * yi);
                }
            }
        }
    }

    private static void Band(int m, int j0, int j1, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        _packA ??= new float[MC * KC];
        _packB ??= new float[KC * NC];
        if (beta != 0f && beta != 1f)
        {
            for (var i = 0; i < m; i++)
            {
                for (var j = j0; j < j1; j++)
                {
                    c[((long)i * ldc) + j] *= beta;
                }
            }
        }

        fixed (float* pa = _packA, pb = _packB)
        {
            for (var jc = j0; jc < j1; jc += NC)
            {
                var nc = Math.Min(NC, j1 - jc);
                for (var pc = 0; pc < k; pc += KC)
                {
                    var kc = Math.Min(KC, k - pc);
                    var overwrite = pc == 0 && beta == 0f;
                    PackB(pb, b + ((long)pc * ldb) + jc, ldb, kc, nc);
                    for (var ic = 0; ic < m; ic += MC)
                    {
                        var mc = Math.Min(MC, m - ic);
                        PackA(pa, a + ((long)ic * lda) + pc, lda, mc, kc);
                        for (var jr = 0; jr < nc; jr += NR)
                        {
                            var nr = Math.Min(NR, nc - jr);
                            for (var ir = 0; ir < mc; ir += MR)
                            {
                                var mr = Math.Min(MR, mc - ir);
                                var cp = c + ((long)(ic + ir) * ldc) + jc + jr;
                                Tile(kc, pa + (ir * kc), pb + (jr * kc), cp, ldc, mr, nr, alpha, overwrite);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>B (kc × nc, row stride ldb) into NR-wide panels, each kc × NR contiguous; missing columns are 0.</summary>
    private static void PackB(float* dst, float* b, int ldb, int kc, int nc)
    {
        for (var jr = 0; jr < nc; jr += NR)
        {
            var nr = Math.Min(NR, nc - jr);
            var panel = dst + (jr * kc);
            for (var p = 0; p < kc; p++)
            {
                var src = b + ((long)p * ldb) + jr;
                var row = panel + (p * NR);
                if (nr == NR && Vector256.IsHardwareAccelerated)
                {
                    Vector256.Store(Vector256.Load(src), row);
                    Vector256.Store(Vector256.Load(src + 8), row + 8);
                }
                else
                {
                    for (var j = 0; j < NR; j++)
                    {
                        row[j] = j < nr ? src[j] : 0f;
                    }
                }
            }
        }
    }

    /// <summary>A (mc × kc, row stride lda) into MR-row slivers, each kc × MR with rows interleaved; missing rows are 0.</summary>
    private static void PackA(float* dst, float* a, int lda, int mc, int kc)
    {
        for (var ir = 0; ir < mc; ir += MR)
        {
            var mr = Math.Min(MR, mc - ir);
            var sliver = dst + (ir * kc);
            for (var r = 0; r < MR; r++)
            {
                var src = a + ((long)(ir + r) * lda);
                for (var p = 0; p < kc; p++)
                {
                    sliver[(p * MR) + r] = r < mr ? src[p] : 0f;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the edge buffer is written before it is read; zeroing it cost every full tile a call
    private static void Tile(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, float alpha, bool overwrite)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            ScalarTile(kc, a, b, c, ldc, mr, nr, alpha, overwrite);
            return;
        }

        // An edge tile's spill buffer, made before the accumulators exist: a stackalloc after the loop is a call
        // (zeroing it) while they are live, and on System V every vector register is the caller's to save, so the
        // JIT kept all twelve on the stack, stored and reloaded every iteration (fully optimised code without PGO:
        // 20–40 GFLOP/s here against 110–125 once tiered PGO recompiled it; 2-core EPYC, AVX2).
        var tile = stackalloc float[MR * NR];
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p++, a += MR, b += NR)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }

        var va = Vector256.Create(alpha);
        if (mr == MR && nr == NR)
        {
            Store(c, c00, c01, va, overwrite);
            Store(c + ldc, c10, c11, va, overwrite);
            Store(c + (2 * ldc), c20, c21, va, overwrite);
            Store(c + (3 * ldc), c30, c31, va, overwrite);
            Store(c + (4 * ldc), c40, c41, va, overwrite);
            Store(c + (5 * ldc), c50, c51, va, overwrite);
            return;
        }

        // An edge tile: spill the accumulators and add only the rows and columns that exist.
        (c00 * va).Store(tile);
        (c01 * va).Store(tile + 8);
        (c10 * va).Store(tile + 16);
        (c11 * va).Store(tile + 24);
        (c20 * va).Store(tile + 32);
        (c21 * va).Store(tile + 40);
        (c30 * va).Store(tile + 48);
        (c31 * va).Store(tile + 56);
        (c40 * va).Store(tile + 64);
        (c41 * va).Store(tile + 72);
        (c50 * va).Store(tile + 80);
        (c51 * va).Store(tile + 88);
        for (var r = 0; r < mr; r++)
        {
            for (var j = 0; j < nr; j++)
            {
                ref var cij = ref c[((long)r * ldc) + j];
                cij = overwrite ? tile[(r * NR) + j] : cij + tile[(r * NR) + j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector256<float> lo, Vector256<float> hi, Vector256<float> alpha, bool overwrite)
    {
        if (overwrite)
        {
            (lo * alpha).Store(row);
            (hi * alpha).Store(row + 8);
        }
        else
        {
            Vector256.FusedMultiplyAdd(lo, alpha, Vector256.Load(row)).Store(row);
            Vector256.FusedMultiplyAdd(hi, alpha, Vector256.Load(row + 8)).Store(row + 8);
        }
    }

    private static void ScalarTile(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, float alpha, bool overwrite)
    {
        for (var r = 0; r < mr; r++)
        {
            for (var j = 0; j < nr; j++)
            {
                var sum = 0f;
                for (var p = 0; p < kc; p++)
                {
                    sum += a[(p * MR) + r] * b[(p * NR) + j];
                }

                ref var cij = ref c[((long)r * ldc) + j];
                cij = overwrite ? alpha * sum : cij + (alpha * sum);
            }
        }
    }

    private static float Dot(float* a, float* x, int k)
    {
        var p = 0;
        var sum = 0f;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; p + 32 <= k; p += 32)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + p), Vector256.Load(x + p), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + p + 8), Vector256.Load(x + p + 8), s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Load(a + p + 16), Vector256.Load(x + p + 16), s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Load(a + p + 24), Vector256.Load(x + p + 24), s3);
            }

            sum = Vector256.Sum((s0 + s1) + (s2 + s3));
        }

        for (; p < k; p++)
        {
            sum += a[p] * x[p];
        }

        return sum;
    }
}
