// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// 3×3 stride-1 convolution by Winograd's minimal filtering F(4×4, 3×3) (Lavin and Gray, 2015; interpolation points
/// 0, ±1, ±2, ∞): each 4×4 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over its 6×6 input patch d, so a tile costs 36
/// multiply-adds per input–output channel pair instead of 144. Summed over input channels, the ⊙ becomes 36
/// independent GEMMs U[ξ] (M×C) · V[ξ] (C×tiles), run by <see cref="WindowConv"/>'s 6×16 register tile.
/// </summary>
/// <remarks>
/// Four passes, each a parallel loop: (1) the input is copied into zero-padded planes of 8 interleaved channels,
/// so (2) the input transform works on 8 channels per vector; (3) the 36 GEMMs, one 16-channel panel of one ξ per
/// work item; (4) the output transform, 16 channels per pair of vectors, adds the bias and scatters into y.
/// Weights are transformed (in double) and packed once per model and kept on the constant tensor.
/// Rounding: the transforms scale values by up to ~10, so results differ from direct convolution by a few fp32
/// ulps of the largest partial sums (the tests bound it against the naive reference).
/// </remarks>
internal sealed unsafe class WinogradConv
{
    /// <summary>Output tile edge (F(4×4, 3×3)).</summary>
    public const int Tile = 4;

    /// <summary>Input patch edge: Tile + 3 − 1.</summary>
    public const int Patch = 6;

    private const int Points = Patch * Patch; // ξ: the 36 transform-domain points
    private const int NR = WindowConv.NR;
    private const int MR = WindowConv.MR;
    private const int KC = 256;

    private readonly RepackJob _repack;
    private readonly InputJob _input;
    private readonly GemmJob _gemm;
    private readonly OutputJob _output;

    private float[] _planes = [];  // [n][channel block][hp][wp][8]
    private float[] _v = [];       // [ξ][tile][c8]
    private float[] _acc = [];     // [ξ][panel][tile][16]
    private float[] _bias = [];    // [panel·16], zero past M
    private int[] _offsets = [];   // 0..c8-1
    private int[] _bases = [];     // tile·c8, the last tile repeated to a multiple of MR
    private float[] _packScratch = [];

    // One call's geometry, set by Run before the loops.
    private float[] _x = [];
    private float[] _y = [];
    private float[] _w = [];
    private ConvParams _p;
    private int _c8, _blocks, _panels, _tilesH, _tilesW, _tiles, _paddedTiles, _hp, _wp;

    public WinogradConv()
    {
        _repack = new RepackJob(this);
        _input = new InputJob(this);
        _gemm = new GemmJob(this);
        _output = new OutputJob(this);
    }

    /// <summary>Weights transformed for one geometry, kept on a constant weight tensor.</summary>
    private sealed record Packed(float[] Data, int M, int C);

    /// <summary>Whether the geometry is one this class computes: 3×3, stride 1, dilation 1, one group.</summary>
    public static bool Supports(ConvParams p)
    {
        var win = p.Window;
        return p.Groups == 1 && win.KernelH == 3 && win.KernelW == 3 && win.StrideH == 1 && win.StrideW == 1 &&
               win.DilationH == 1 && win.DilationW == 1;
    }

    /// <summary>
    /// Whether Winograd should beat the direct GEMM: enough channels on both sides that the transforms are small
    /// next to the products (C, M ≥ 16), and the tiles' padding leaves at most 60% of the direct multiply-adds.
    /// </summary>
    public static bool Pays(ConvParams p)
    {
        if (!Supports(p) || p.C < 16 || p.M < 16)
        {
            return false;
        }

        long tiles = (long)p.N * ((p.OutH + Tile - 1) / Tile) * ((p.OutW + Tile - 1) / Tile);
        long positions = (long)p.N * p.OutH * p.OutW;
        return Points * RoundUp(tiles, MR) * 10 <= 6 * 9 * RoundUp(positions, MR);
    }

    /// <summary>y = conv(x, w) + b for every image of the batch; <see cref="Supports"/> must hold.</summary>
    public void Run(float[] y, float[] x, CpuTensor w, float[]? b, ConvParams p, CpuWorkers workers)
    {
        if (!Supports(p))
        {
            throw new ArgumentException($"Winograd F(4x4,3x3) needs a 3x3 stride-1 undilated ungrouped convolution, got {p.Window}");
        }

        _p = p;
        _c8 = (int)RoundUp(p.C, 8);
        _blocks = _c8 / 8;
        _panels = (p.M + NR - 1) / NR;
        _tilesH = (p.OutH + Tile - 1) / Tile;
        _tilesW = (p.OutW + Tile - 1) / Tile;
        _tiles = p.N * _tilesH * _tilesW;
        _paddedTiles = (int)RoundUp(_tiles, MR);
        _hp = (Tile * _tilesH) + 2;
        _wp = (Tile * _tilesW) + 2;
        _x = x;
        _y = y;
        _w = TransformedWeights(w, p.M, p.C);

        Grow(ref _planes, (long)p.N * _c8 * _hp * _wp);
        Grow(ref _v, (long)Points * _paddedTiles * _c8);
        Grow(ref _acc, (long)Points * _panels * _paddedTiles * NR);
        Grow(ref _bias, _panels * NR);
        Grow(ref _offsets, _c8);
        Grow(ref _bases, _paddedTiles);
        Array.Clear(_bias);
        b?.AsSpan(0, p.M).CopyTo(_bias);
        for (var c = 0; c < _c8; c++)
        {
            _offsets[c] = c;
        }

        for (var t = 0; t < _paddedTiles; t++)
        {
            _bases[t] = Math.Min(t, _tiles - 1) * _c8; // padded tiles repeat the last; their sums are never read
        }

        workers.For(p.N * _blocks, _repack);
        workers.For(p.N * _blocks * _tilesH, _input);
        workers.For(Points * _panels, _gemm);
        workers.For(_panels * p.N * _tilesH, _output);
        _x = _y = [];
    }

    private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>U[ξ] = (G g Gᵀ)[ξ] for every (m, c), packed as [ξ][panel][c8][16], zero past M and C.</summary>
    private float[] TransformedWeights(CpuTensor w, int m, int c)
    {
        if (w.IsConstant && w.Derived is Packed cached && cached.M == m && cached.C == c)
        {
            return cached.Data;
        }

        int c8 = (int)RoundUp(c, 8), panels = (m + NR - 1) / NR;
        var length = (long)Points * panels * c8 * NR;
        float[] packed;
        if (w.IsConstant)
        {
            packed = new float[length];
        }
        else
        {
            Grow(ref _packScratch, length);
            packed = _packScratch;
            Array.Clear(packed, 0, (int)length);
        }

        Span<double> u = stackalloc double[Points];
        var source = w.Data;
        for (var o = 0; o < m; o++)
        {
            for (var ci = 0; ci < c; ci++)
            {
                WinogradMatrices.TransformKernel(source.AsSpan(((o * c) + ci) * 9, 9), u);
                int panel = o / NR, j = o % NR;
                for (var xi = 0; xi < Points; xi++)
                {
                    packed[((((long)(xi * panels) + panel) * c8) + ci) * NR + j] = (float)u[xi];
                }
            }
        }

        if (w.IsConstant)
        {
            w.Derived = new Packed(packed, m, c);
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
            var plane = o._planes.AsSpan(item * hp * wp * 8, hp * wp * 8);
            plane.Clear();
            var lanes = Math.Min(8, p.C - (cb * 8));
            for (var l = 0; l < lanes; l++)
            {
                var src = o._x.AsSpan(((n * p.C) + (cb * 8) + l) * p.H * p.W, p.H * p.W);
                for (var iy = 0; iy < p.H; iy++)
                {
                    var dst = ((((iy + p.Window.PadTop) * wp) + p.Window.PadLeft) * 8) + l;
                    var row = src.Slice(iy * p.W, p.W);
                    var last = Math.Min(p.W, wp - p.Window.PadLeft); // columns past the last tile are never read
                    for (var ix = 0; ix < last; ix++)
                    {
                        plane[dst + (ix * 8)] = row[ix];
                    }
                }
            }
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
            Span<Vector256<float>> t = stackalloc Vector256<float>[Points];
            fixed (float* planes = o._planes, v = o._v)
            {
                var plane = planes + ((long)((n * o._blocks) + cb) * o._hp * wp * 8);
                for (var tx = 0; tx < o._tilesW; tx++)
                {
                    var corner = plane + ((((ty * Tile * wp) + (tx * Tile))) * 8);

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
                    var tile = (((n * o._tilesH) + ty) * o._tilesW) + tx;
                    var dst = v + ((long)tile * c8) + (cb * 8);
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
            int xi = item / o._panels, panel = item % o._panels, c8 = o._c8, padded = o._paddedTiles;
            fixed (float* wAll = o._w, vAll = o._v, accAll = o._acc)
            fixed (int* offsets = o._offsets, bases = o._bases)
            {
                var w = wAll + ((((long)xi * o._panels) + panel) * c8 * NR);
                var x = vAll + ((long)xi * padded * c8);
                var acc = accAll + ((((long)xi * o._panels) + panel) * padded * NR);
                for (var pc = 0; pc < c8; pc += KC)
                {
                    var kc = Math.Min(KC, c8 - pc);
                    for (var i = 0; i < padded; i += MR)
                    {
                        var bi = bases + i;
                        WindowConv.Tile(kc, w + (pc * NR), offsets + pc, x + bi[0], x + bi[1], x + bi[2], x + bi[3], x + bi[4], x + bi[5], acc + (i * NR), pc > 0);
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
            int m0 = panel * NR, channels = Math.Min(NR, p.M - m0), rows = Math.Min(Tile, p.OutH - (ty * Tile));
            var stride = (long)o._panels * o._paddedTiles * NR; // between ξ planes of the sums
            Span<Vector256<float>> s = stackalloc Vector256<float>[Tile * Patch];
            var result = stackalloc float[Tile * Tile * NR]; // [position][channel]
            fixed (float* accAll = o._acc, bias = o._bias, y = o._y)
            {
                for (var tx = 0; tx < o._tilesW; tx++)
                {
                    var tile = (((n * o._tilesH) + ty) * o._tilesW) + tx;
                    var sums = accAll + ((((long)panel * o._paddedTiles) + tile) * NR);
                    for (var half = 0; half < NR; half += 8)
                    {
                        var b = Vector256.Load(bias + m0 + half);
                        var m = sums + half;

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
                        for (var i = 0; i < Tile; i++)
                        {
                            var r = i * Patch;
                            WinogradMatrices.OutputRow(s[r], s[r + 1], s[r + 2], s[r + 3], s[r + 4], s[r + 5], b, result + (i * Tile * NR) + half, NR);
                        }
                    }

                    var cols = Math.Min(Tile, p.OutW - (tx * Tile));
                    Scatter(result, y, p, n, m0, channels, ty * Tile, tx * Tile, rows, cols);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Scatter(float* result, float* y, ConvParams p, int n, int m0, int channels, int oy, int ox, int rows, int cols)
        {
            var plane = (long)p.OutH * p.OutW;
            for (var j = 0; j < channels; j++)
            {
                var dst = y + (((long)(n * p.M) + m0 + j) * plane) + ((long)oy * p.OutW) + ox;
                for (var i = 0; i < rows; i++)
                {
                    var src = result + (i * Tile * NR) + j;
                    var row = dst + ((long)i * p.OutW);
                    for (var k = 0; k < cols; k++)
                    {
                        row[k] = src[k * NR];
                    }
                }
            }
        }
    }

    private static void Grow<T>(ref T[] array, long length)
    {
        if (array.Length < length)
        {
            array = new T[length];
        }
    }
}
