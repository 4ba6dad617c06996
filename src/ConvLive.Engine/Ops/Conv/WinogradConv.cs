// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// Stride-1 convolution by Winograd's minimal filtering (Lavin and Gray, 2015): F(4×4, 3×3) over 6×6 input patches
/// for 3×3 kernels and F(4×4, 5×5) over 8×8 patches for 5×5. Each 4×4 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over
/// its patch d, so a tile costs 36 (3×3) or 64 (5×5) multiply-adds per input–output channel pair instead of 144 or
/// 400. Summed over input channels, the ⊙ becomes α² independent GEMMs U[ξ] (M×C) · V[ξ] (C×tiles), run by
/// <see cref="WindowConv"/>'s register tile; groups run one after another.
/// </summary>
/// <remarks>
/// Four passes, each a parallel loop: (1) the input is copied into zero-padded planes of 8 interleaved channels,
/// so (2) the input transform works on 8 channels per vector; (3) the GEMMs, one 16-channel panel of one ξ per
/// work item; (4) the output transform, 16 channels per pair of vectors, adds the bias (and a fused Relu) and
/// scatters into y. Weights are transformed (in double) and packed once per model and kept on the constant tensor.
/// Rounding: the transforms scale values by up to ~10, so results differ from direct convolution by ~1e-5 of the
/// outputs' spread (the tests bound it against the naive reference; `bench --conv auto,direct` reports it).
/// </remarks>
internal sealed unsafe class WinogradConv
{
    /// <summary>Input patch edge of the hand-written 3×3 transforms.</summary>
    public const int Patch = 6;

    /// <summary>The output tile edge of both algorithms.</summary>
    private const int Tile = 4;
    private const int NR = ConvTile.NR;

    /// <summary>Rows of the 256-bit tile: what <see cref="Pays"/> counts padding in.</summary>
    private const int MR = 6;

    private readonly bool _wide;
    private const int KC = 256;

    private readonly RepackJob _repack;
    private readonly InputJob _input;
    private readonly GemmJob _gemm;
    private readonly OutputJob _output;

    private AlignedFloats _planes = AlignedFloats.Empty;  // [n][channel block][hp][wp][8]
    private AlignedFloats _v = AlignedFloats.Empty;       // [ξ][tile][c8]
    private AlignedFloats _acc = AlignedFloats.Empty;     // [ξ][panel][tile][16]
    private float[] _bias = [];    // [panel·16], zero past M
    private int[] _offsets = [];   // 0..c8-1
    private int[] _bases = [];     // tile·c8, the last tile repeated to a multiple of the tile's rows
    private AlignedFloats _packScratch = AlignedFloats.Empty;

    // One call's geometry, set by Run before the loops.
    private float[] _x = [];
    private float[] _y = [];
    private AlignedFloats _w = AlignedFloats.Empty;
    private ConvParams _p;
    private int _c8, _blocks, _panels, _tilesH, _tilesW, _tiles, _paddedTiles, _hp, _wp, _alpha, _points;
    private WinogradMatrices.Set _set = WinogradMatrices.For(3);
    private int _cg, _mg, _group; // channels per group, and the group the passes work on

    /// <param name="wide">Use the 512-bit register tile for the GEMMs (where <see cref="ConvTile.WideAvailable"/>).</param>
    public WinogradConv(bool wide)
    {
        _wide = wide && ConvTile.WideAvailable;
        _repack = new RepackJob(this);
        _input = new InputJob(this);
        _gemm = new GemmJob(this);
        _output = new OutputJob(this);
    }

    /// <summary>Weights transformed for one geometry, kept on a constant weight tensor.</summary>
    private sealed record Packed(AlignedFloats Data, int Groups, int M, int C, int Kernel);

    /// <summary>Whether the geometry is one this class computes: a 3×3 or 5×5 kernel, stride 1, no dilation.</summary>
    public static bool Supports(ConvParams p)
    {
        var win = p.Window;
        return win.KernelH == win.KernelW && win.KernelH is 3 or 5 && win.StrideH == 1 && win.StrideW == 1 &&
               win.DilationH == 1 && win.DilationW == 1;
    }

    /// <summary>The patch edge for a kernel: 6 for 3×3 (F(4×4, 3×3)), 8 for 5×5 (F(4×4, 5×5)).</summary>
    public static int AlphaFor(int kernel) => kernel + Tile - 1;

    /// <summary>
    /// Whether Winograd should beat the direct GEMM: enough channels per group on both sides that the transforms
    /// are small next to the products (≥ 16), and the tiles' padding leaves at most 60% of the direct multiply-adds.
    /// </summary>
    public static bool Pays(ConvParams p)
    {
        if (!Supports(p) || p.GroupInputs < 16 || p.GroupOutputs < 16)
        {
            return false;
        }

        int k = p.Window.KernelH, alpha = AlphaFor(k);
        long tiles = (long)p.N * ((p.OutH + Tile - 1) / Tile) * ((p.OutW + Tile - 1) / Tile);
        long positions = (long)p.N * p.OutH * p.OutW;
        return alpha * alpha * RoundUp(tiles, MR) * 10 <= 6 * k * k * RoundUp(positions, MR);
    }

    /// <summary>y = conv(x, w) + b for every image of the batch; <see cref="Supports"/> must hold.</summary>
    public void Run(float[] y, float[] x, CpuTensor w, float[]? b, ConvParams p, CpuWorkers workers)
    {
        if (!Supports(p))
        {
            throw new ArgumentException($"Winograd needs a 3x3 or 5x5 stride-1 undilated convolution, got {p.Window}");
        }

        var kernel = p.Window.KernelH;
        _p = p;
        _cg = p.GroupInputs;
        _mg = p.GroupOutputs;
        _set = WinogradMatrices.For(kernel);
        _alpha = _set.Alpha;
        _points = _alpha * _alpha;
        _c8 = (int)RoundUp(_cg, 8);
        _blocks = _c8 / 8;
        _panels = (_mg + NR - 1) / NR;
        _tilesH = (p.OutH + Tile - 1) / Tile;
        _tilesW = (p.OutW + Tile - 1) / Tile;
        _tiles = p.N * _tilesH * _tilesW;
        _paddedTiles = (int)RoundUp(_tiles, ConvTile.Rows(_wide));
        _hp = (Tile * _tilesH) + _alpha - Tile;
        _wp = (Tile * _tilesW) + _alpha - Tile;
        _x = x;
        _y = y;
        _w = TransformedWeights(w, p.Groups, _mg, _cg, kernel);

        AlignedFloats.Grow(ref _planes, (long)p.N * _c8 * _hp * _wp);
        AlignedFloats.Grow(ref _v, (long)_points * _paddedTiles * _c8);
        AlignedFloats.Grow(ref _acc, (long)_points * _panels * _paddedTiles * NR);
        ScratchArrays.Grow(ref _bias, (long)p.Groups * _panels * NR);
        ScratchArrays.Grow(ref _bases, _paddedTiles);
        Array.Clear(_bias);
        for (var g = 0; b is not null && g < p.Groups; g++)
        {
            b.AsSpan(g * _mg, _mg).CopyTo(_bias.AsSpan(g * _panels * NR));
        }

        if (_offsets.Length < _c8)
        {
            _offsets = Enumerable.Range(0, _c8).ToArray(); // tap c of V's rows is at offset c; written once per size
        }

        for (var t = 0; t < _paddedTiles; t++)
        {
            _bases[t] = Math.Min(t, _tiles - 1) * _c8; // padded tiles repeat the last; their sums are never read
        }

        for (_group = 0; _group < p.Groups; _group++)
        {
            workers.For(p.N * _blocks, _repack);
            workers.For(p.N * _blocks * _tilesH, _input);
            workers.For(_points * _panels, _gemm);
            workers.For(_panels * p.N * _tilesH, _output);
        }

        _x = _y = [];
    }

    private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>U[ξ] = (G g Gᵀ)[ξ] for every (m, c) of every group, packed as [group][ξ][panel][c8][16], zero past
    /// the group's M and C.</summary>
    private AlignedFloats TransformedWeights(CpuTensor w, int groups, int m, int c, int kernel)
    {
        if (w.IsConstant && w.Derived is Packed cached && cached.Groups == groups && cached.M == m && cached.C == c && cached.Kernel == kernel)
        {
            return cached.Data;
        }

        int c8 = (int)RoundUp(c, 8), panels = (m + NR - 1) / NR, taps = kernel * kernel;
        var set = WinogradMatrices.For(kernel);
        var points = set.Alpha * set.Alpha;
        var groupLength = (long)points * panels * c8 * NR;
        var length = groups * groupLength;
        var packed = ScratchArrays.ForPacking(w, ref _packScratch, length);

        Span<double> u = stackalloc double[points];
        var source = w.Data;
        for (var g = 0; g < groups; g++)
        {
            for (var o = 0; o < m; o++)
            {
                for (var ci = 0; ci < c; ci++)
                {
                    WinogradMatrices.TransformKernel(source.AsSpan((((g * m) + o) * c + ci) * taps, taps), set, u);
                    int panel = o / NR, j = o % NR;
                    for (var xi = 0; xi < points; xi++)
                    {
                        packed.Pointer[(g * groupLength) + (((((long)(xi * panels) + panel) * c8) + ci) * NR) + j] = (float)u[xi];
                    }
                }
            }
        }

        if (w.IsConstant)
        {
            w.Derived = new Packed(packed, groups, m, c, kernel);
        }

        return packed;
    }

    /// <summary>Pass 1: image n's channel block into [hp][wp][8], zero outside the input.</summary>
    private sealed class RepackJob(WinogradConv o) : IWorkItem
    {
        public void Run(int item)
        {
            var p = o._p;
            int n = item / o._blocks, cb = item % o._blocks, hp = o._hp, wp = o._wp;
            var plane = new Span<float>(o._planes.Pointer + ((long)item * hp * wp * 8), hp * wp * 8);
            plane.Clear();
            var lanes = Math.Min(8, o._cg - (cb * 8));
            var first = ((n * p.C) + (o._group * o._cg) + (cb * 8)) * p.H * p.W;
            var width = Math.Min(p.W, wp - p.Window.PadLeft); // columns past the last tile are never read
            fixed (float* x = o._x, planes = plane)
            {
                for (var iy = 0; iy < p.H; iy++)
                {
                    var dst = planes + ((((iy + p.Window.PadTop) * wp) + p.Window.PadLeft) * 8);
                    var src = x + first + (iy * p.W);
                    var ix = 0;
                    if (lanes == 8 && Avx.IsSupported)
                    {
                        // Eight channels' rows, eight columns at a time: an 8×8 transpose in registers.
                        for (; ix + 8 <= width; ix += 8)
                        {
                            Transpose8x8(src + ix, p.H * p.W, dst + (ix * 8));
                        }
                    }

                    for (; ix < width; ix++)
                    {
                        for (var l = 0; l < lanes; l++)
                        {
                            dst[(ix * 8) + l] = src[(l * p.H * p.W) + ix];
                        }
                    }
                }
            }
        }

        /// <summary>dst[k·8 + l] = src[l·stride + k] for k, l in 0..8.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Transpose8x8(float* src, int stride, float* dst)
        {
            var r0 = Avx.LoadVector256(src);
            var r1 = Avx.LoadVector256(src + stride);
            var r2 = Avx.LoadVector256(src + (2 * stride));
            var r3 = Avx.LoadVector256(src + (3 * stride));
            var r4 = Avx.LoadVector256(src + (4 * stride));
            var r5 = Avx.LoadVector256(src + (5 * stride));
            var r6 = Avx.LoadVector256(src + (6 * stride));
            var r7 = Avx.LoadVector256(src + (7 * stride));
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
            Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
            Avx.Store(dst + 8, Avx.Permute2x128(s1, s5, 0x20));
            Avx.Store(dst + 16, Avx.Permute2x128(s2, s6, 0x20));
            Avx.Store(dst + 24, Avx.Permute2x128(s3, s7, 0x20));
            Avx.Store(dst + 32, Avx.Permute2x128(s0, s4, 0x31));
            Avx.Store(dst + 40, Avx.Permute2x128(s1, s5, 0x31));
            Avx.Store(dst + 48, Avx.Permute2x128(s2, s6, 0x31));
            Avx.Store(dst + 56, Avx.Permute2x128(s3, s7, 0x31));
        }
    }

    /// <summary>Pass 2: V = Bᵀ d B for one row of tiles of one channel block.</summary>
    private sealed class InputJob(WinogradConv o) : IWorkItem
    {
        public void Run(int item)
        {
            int ty = item % o._tilesH, rest = item / o._tilesH, cb = rest % o._blocks, n = rest / o._blocks;
            int wp = o._wp, c8 = o._c8;
            var stride = (long)o._paddedTiles * c8; // between ξ planes of V
            Span<Vector256<float>> t = stackalloc Vector256<float>[Patch * Patch];
            float* planes = o._planes.Pointer, v = o._v.Pointer;
            {
                var plane = planes + ((long)((n * o._blocks) + cb) * o._hp * wp * 8);
                for (var tx = 0; tx < o._tilesW; tx++)
                {
                    var corner = plane + ((((ty * Tile * wp) + (tx * Tile))) * 8);
                    var tile = (((n * o._tilesH) + ty) * o._tilesW) + tx;
                    var dst = v + ((long)tile * c8) + (cb * 8);
                    if (o._alpha != Patch)
                    {
                        WinogradMatrices.InputTile8(corner, wp * 8, o._set.BTf, dst, stride);
                        continue;
                    }

                    // Columns: t[i][j] = (Bᵀ d)[i][j].
                    for (var j = 0; j < Patch; j++)
                    {
                        var d = corner + (j * 8);
                        WinogradMatrices.InputColumn(
                            Vector256.Load(d), Vector256.Load(d + (wp * 8)), Vector256.Load(d + (2 * wp * 8)),
                            Vector256.Load(d + (3 * wp * 8)), Vector256.Load(d + (4 * wp * 8)), Vector256.Load(d + (5 * wp * 8)),
                            t, j, Patch);
                    }

                    // Rows: V[i][j] = (t B)[i][j], stored at V[ξ = 6i + j][tile][block].
                    for (var i = 0; i < Patch; i++)
                    {
                        var r = i * Patch;
                        WinogradMatrices.InputRow(t[r], t[r + 1], t[r + 2], t[r + 3], t[r + 4], t[r + 5], dst + (r * stride), stride);
                    }
                }
            }
        }
    }

    /// <summary>Pass 3: M[ξ] = U[ξ]·V[ξ] for one 16-channel panel of one ξ, all tiles.</summary>
    private sealed class GemmJob(WinogradConv o) : IWorkItem
    {
        public void Run(int item)
        {
            int xi = item / o._panels, panel = item % o._panels, c8 = o._c8, padded = o._paddedTiles, rows = ConvTile.Rows(o._wide);
            float* wAll = o._w.Pointer, vAll = o._v.Pointer, accAll = o._acc.Pointer;
            fixed (int* offsets = o._offsets, bases = o._bases)
            {
                var w = wAll + ((((((long)o._group * o._points) + xi) * o._panels) + panel) * c8 * NR);
                var x = vAll + ((long)xi * padded * c8);
                var acc = accAll + ((((long)xi * o._panels) + panel) * padded * NR);
                for (var pc = 0; pc < c8; pc += KC)
                {
                    var kc = Math.Min(KC, c8 - pc);
                    for (var i = 0; i < padded; i += rows)
                    {
                        ConvTile.Block(o._wide, kc, w + (pc * NR), offsets + pc, x, bases + i, o._tiles - i, acc + (i * NR), pc > 0);
                    }
                }
            }
        }
    }

    /// <summary>Pass 4: y = Aᵀ M A + b for one row of tiles of one 16-channel panel, written into y's planes.</summary>
    private sealed class OutputJob(WinogradConv o) : IWorkItem
    {
        public void Run(int item)
        {
            int ty = item % o._tilesH, rest = item / o._tilesH, n = rest % o._p.N, panel = rest / o._p.N;
            var p = o._p;
            int tileEdge = Tile, m0 = panel * NR, channels = Math.Min(NR, o._mg - m0), rows = Math.Min(tileEdge, p.OutH - (ty * tileEdge));
            var stride = (long)o._panels * o._paddedTiles * NR; // between ξ planes of the sums
            Span<Vector256<float>> s = stackalloc Vector256<float>[Tile * Patch];
            var result = stackalloc float[Tile * Tile * NR]; // [position][channel]
            var accAll = o._acc.Pointer;
            fixed (float* biasAll = o._bias, y = o._y)
            {
                for (var tx = 0; tx < o._tilesW; tx++)
                {
                    var tile = (((n * o._tilesH) + ty) * o._tilesW) + tx;
                    var sums = accAll + ((((long)panel * o._paddedTiles) + tile) * NR);
                    var bias = biasAll + (o._group * o._panels * NR);
                    for (var half = 0; half < NR; half += 8)
                    {
                        var b = Vector256.Load(bias + m0 + half);
                        var m = sums + half;
                        if (o._alpha != Patch)
                        {
                            WinogradMatrices.OutputTile8(m, stride, o._set.ATf, b, p.Relu, result + half, NR);
                            continue;
                        }

                        // Columns: s[i][j] = (Aᵀ M)[i][j] for the 6 columns j.
                        for (var j = 0; j < Patch; j++)
                        {
                            var column = m + (j * stride);
                            WinogradMatrices.OutputColumn(
                                Vector256.Load(column), Vector256.Load(column + (Patch * stride)), Vector256.Load(column + (2 * Patch * stride)),
                                Vector256.Load(column + (3 * Patch * stride)), Vector256.Load(column + (4 * Patch * stride)), Vector256.Load(column + (5 * Patch * stride)),
                                s, j);
                        }

                        // Rows: out[i][j] = (s A)[i][j] + b.
                        for (var i = 0; i < tileEdge; i++)
                        {
                            var r = i * Patch;
                            WinogradMatrices.OutputRow(s[r], s[r + 1], s[r + 2], s[r + 3], s[r + 4], s[r + 5], b, result + (i * tileEdge * NR) + half, NR, p.Relu);
                        }
                    }

                    var cols = Math.Min(tileEdge, p.OutW - (tx * tileEdge));
                    Scatter(result, y, p, n, (o._group * o._mg) + m0, channels, ty * tileEdge, tx * tileEdge, rows, cols, tileEdge);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Scatter(float* result, float* y, ConvParams p, int n, int m0, int channels, int oy, int ox, int rows, int cols, int tileEdge)
        {
            var plane = (long)p.OutH * p.OutW;
            for (var j = 0; j < channels; j++)
            {
                var dst = y + (((long)(n * p.M) + m0 + j) * plane) + ((long)oy * p.OutW) + ox;
                for (var i = 0; i < rows; i++)
                {
                    var src = result + (i * tileEdge * NR) + j;
                    var row = dst + ((long)i * p.OutW);
                    if (cols == 4)
                    {
                        Vector128.Create(src[0], src[NR], src[2 * NR], src[3 * NR]).Store(row);
                        continue;
                    }

                    for (var k = 0; k < cols; k++)
                    {
                        row[k] = src[k * NR];
                    }
                }
            }
        }
    }
}
