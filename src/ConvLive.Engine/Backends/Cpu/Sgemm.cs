// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// Row-major single-precision GEMM, C = alpha·A·B + beta·C with A (M,K), B (K,N), C (M,N) and leading
/// dimensions lda/ldb/ldc. OpenBLAS's cblas_sgemm (Debian libopenblas0-pthread) when it loads; otherwise a
/// blocked SIMD kernel of our own (4×16 register tile, FMA, bands of columns across the worker team).
/// </summary>
internal static unsafe partial class Sgemm
{
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private static readonly bool BlasLoaded = TryLoadBlas();

    /// <summary>True when OpenBLAS is in use.</summary>
    public static bool UsesBlas => BlasLoaded && !ForceManaged;

    /// <summary>Tests set this to exercise the managed kernel on machines that have OpenBLAS.</summary>
    internal static bool ForceManaged { get; set; }

    /// <summary>The implementation name, for benchmarks and logs.</summary>
    public static string Implementation => UsesBlas ? "OpenBLAS cblas_sgemm" : "managed SIMD (4x16 FMA tiles)";

    public static void Multiply(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, CpuWorkers workers)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (UsesBlas)
        {
            CblasSgemm(RowMajor, NoTrans, NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        Managed(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, workers);
    }

    internal static void Managed(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, CpuWorkers workers)
    {
        const int TileN = 16;
        var bands = Math.Max(1, Math.Min(workers.Size * 4, (n + TileN - 1) / TileN));
        var columnsPerBand = (((n + bands - 1) / bands) + TileN - 1) / TileN * TileN;
        bands = (n + columnsPerBand - 1) / columnsPerBand;
        workers.For(bands, band =>
        {
            var j0 = band * columnsPerBand;
            var j1 = Math.Min(n, j0 + columnsPerBand);
            Band(m, j0, j1, k, alpha, a, lda, b, ldb, beta, c, ldc);
        });
    }

    private static void Band(int m, int j0, int j1, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        var j = j0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 16 <= j1; j += 16)
            {
                var i = 0;
                for (; i + 4 <= m; i += 4)
                {
                    Tile4x16(i, j, k, alpha, a, lda, b, ldb, beta, c, ldc);
                }

                Scalar(i, m, j, j + 16, k, alpha, a, lda, b, ldb, beta, c, ldc);
            }
        }

        Scalar(0, m, j, j1, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x16(int i, int j, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        float* a0 = a + ((long)i * lda), a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        var bp = b + j;
        for (var p = 0; p < k; p++, bp += ldb)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            var x = Vector256.Create(a0[p]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[p]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[p]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[p]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
        }

        Store(c + ((long)i * ldc) + j, c00, c01, alpha, beta);
        Store(c + ((long)(i + 1) * ldc) + j, c10, c11, alpha, beta);
        Store(c + ((long)(i + 2) * ldc) + j, c20, c21, alpha, beta);
        Store(c + ((long)(i + 3) * ldc) + j, c30, c31, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector256<float> lo, Vector256<float> hi, float alpha, float beta)
    {
        var va = Vector256.Create(alpha);
        if (beta == 0f)
        {
            (lo * va).Store(row);
            (hi * va).Store(row + 8);
        }
        else
        {
            var vb = Vector256.Create(beta);
            Vector256.FusedMultiplyAdd(lo, va, Vector256.Load(row) * vb).Store(row);
            Vector256.FusedMultiplyAdd(hi, va, Vector256.Load(row + 8) * vb).Store(row + 8);
        }
    }

    private static void Scalar(int i0, int i1, int j0, int j1, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        for (var i = i0; i < i1; i++)
        {
            for (var j = j0; j < j1; j++)
            {
                var sum = 0f;
                for (var p = 0; p < k; p++)
                {
                    sum = MathF.FusedMultiplyAdd(a[((long)i * lda) + p], b[((long)p * ldb) + j], sum);
                }

                ref var cij = ref c[((long)i * ldc) + j];
                cij = beta == 0f ? alpha * sum : (alpha * sum) + (beta * cij);
            }
        }
    }

    private static bool TryLoadBlas()
    {
        if (Environment.GetEnvironmentVariable("CONVLIVE_NO_BLAS") == "1")
        {
            return false;
        }

        try
        {
            return NativeLibrary.TryLoad("libopenblas.so.0", out _) && Probe();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    private static bool Probe()
    {
        float one = 1, two = 2, result = 0;
        CblasSgemm(RowMajor, NoTrans, NoTrans, 1, 1, 1, 1f, &one, 1, &two, 1, 0f, &result, 1);
        return result == 2f;
    }

    [LibraryImport("libopenblas.so.0", EntryPoint = "cblas_sgemm")]
    private static partial void CblasSgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);
}
