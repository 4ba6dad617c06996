// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// Stride-1 convolution by Winograd's minimal filtering (Lavin and Gray, 2015): F(4×4, 3×3) over 6×6 input patches
/// for 3×3 kernels and F(4×4, 5×5) over 8×8 patches for 5×5; for 3×3 kernels also F(2×2, 3×3) over 4×4 patches,
/// whose transformed weights are 16 a channel pair instead of 36 (for layers where reading them costs more than
/// the multiply-adds saved: <see cref="ConvChoices"/> times it beside the others). Each m×m output tile is
/// Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over its patch d, so a 4×4 tile costs 36 (3×3) or 64 (5×5) multiply-adds per
/// input–output channel pair instead of 144 or 400, a 2×2 tile 16 instead of 36. Summed over input channels, the
/// ⊙ becomes α² independent GEMMs U[ξ] (M×C) · V[ξ] (C×tiles), run by
/// <see cref="WindowConv"/>'s register tile; groups run one after another.
/// </summary>
/// <remarks>
/// Four passes, each a parallel loop: (1) the input is copied into zero-padded planes of 8 interleaved channels,
/// so (2) the input transform works on 8 channels per vector; (3) the GEMMs, one 16-channel panel of one ξ per
/// work item; (4) the output transform, 16 channels per pair of vectors, adds the bias (and a fused Relu) and
/// scatters into y (with a residual, the scatter adds it and applies the Relu after it). Where weights and tiles
/// allow (<see cref="FusedChunk"/>), passes 2–4 run as one loop over chunks of tiles instead, each chunk's three
/// steps on one thread, in buffers of that thread's own that stay in its core's L2. Weights are transformed (in double) and
/// packed once per model and kept on the constant tensor.
/// Rounding: the transforms scale values by up to ~10, so results differ from direct convolution by ~1e-5 of the
/// outputs' spread (the tests bound it against the naive reference; `bench --conv auto,direct` reports it).
/// </remarks>
internal sealed unsafe class WinogradConv
{
    /// <summary>Input patch edge of the hand-written 3×3 transforms.</summary>
    public const int Patch = 6;

    /// <summary>The output tile edge of F(4×4, 3×3) and F(4×4, 5×5); F(2×2, 3×3)'s is 2 (<see cref="Run"/>'s tile).</summary>
    public const int Tile4 = 4;
    private const int NR = ConvTile.NR;

    /// <summary>Rows of the 256-bit tile: what <see cref="Pays"/> counts padding in.</summary>
    private const int MR = 6;

    private readonly bool _wide;
    private const int KC = 256;

    private readonly RepackJob _repack;
    private readonly InputJob _input;
    private readonly GemmJob _gemm;
    private readonly OutputJob _output;
    private readonly FusedJob _fused;

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
    private float[] _r = []; // the residual, or empty
    private AlignedFloats _w = AlignedFloats.Empty;
    private ConvParams _p;
    private int _c8, _blocks, _panels, _tilesH, _tilesW, _tiles, _paddedTiles, _hp, _wp, _alpha, _points, _tile;
    private WinogradMatrices.Set _set = WinogradMatrices.For(3);
    private int _cg, _mg, _group; // channels per group, and the group the passes work on
    private int _chunk;           // tiles per work item of the fused pass; 0: four separate passes

    /// <param name="wide">Use the 512-bit register tile for the GEMMs (where <see cref="ConvTile.WideAvailable"/>).</param>
    public WinogradConv(bool wide)
    {
        _wide = wide && ConvTile.WideAvailable;
        _repack = new RepackJob(this);
        _input = new InputJob(this);
        _gemm = new GemmJob(this);
        _output = new OutputJob(this);
        _fused = new FusedJob(this);
    }

    /// <summary>Forces the fused pass (true) or the four passes (false) for every geometry, over what
    /// <see cref="Run"/> is asked for; null: as asked, else <see cref="FusedChunk"/>'s rule. For tests, which hold
    /// both to the same bits.</summary>
    internal bool? Fused { get; set; }

    /// <summary>Weights transformed for one geometry, kept on a constant weight tensor.</summary>
    private sealed record Packed(AlignedFloats Data, int Groups, int M, int C, int Kernel, int Tile);

    /// <summary>Whether the geometry is one this class computes: a 3×3 or 5×5 kernel, stride 1, no dilation.</summary>
    public static bool Supports(ConvParams p)
    {
        var win = p.Window;
        return win.KernelH == win.KernelW && win.KernelH is 3 or 5 && win.StrideH == 1 && win.StrideW == 1 &&
               win.DilationH == 1 && win.DilationW == 1;
    }

    /// <summary>Whether F(2×2, 3×3) computes the geometry too: <see cref="Supports"/> with a 3×3 kernel.</summary>
    public static bool SupportsTile2(ConvParams p) => Supports(p) && p.Window.KernelH == 3;

    /// <summary>The patch edge for a kernel with 4×4 output tiles: 6 for 3×3 (F(4×4, 3×3)), 8 for 5×5 (F(4×4, 5×5)).</summary>
    public static int AlphaFor(int kernel) => kernel + Tile4 - 1;

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
        long tiles = (long)p.N * ((p.OutH + Tile4 - 1) / Tile4) * ((p.OutW + Tile4 - 1) / Tile4);
        long positions = (long)p.N * p.OutH * p.OutW;
        return alpha * alpha * RoundUp(tiles, MR) * 10 <= 6 * k * k * RoundUp(positions, MR);
    }

    /// <summary>y = conv(x, w) + b for every image of the batch; <see cref="Supports"/> must hold.</summary>
    /// <param name="y">The output (N, M, OutH, OutW).</param>
    /// <param name="x">The input (N, C, H, W).</param>
    /// <param name="w">The weights (M, C/G, r, r).</param>
    /// <param name="b">The bias, or null.</param>
    /// <param name="r">A residual of y's shape added after the bias (before a fused Relu), or null.</param>
    /// <param name="p">The geometry.</param>
    /// <param name="workers">The threads.</param>
    /// <param name="tile">The output tile's edge: 4 (F(4×4, 3×3) or F(4×4, 5×5)) or 2 (F(2×2, 3×3): 16 transformed
    /// weights per channel pair instead of 36, for layers whose weights cost more to read than the multiply-adds
    /// saved, or whose size is a poor fit for 4×4 tiles).</param>
    /// <param name="fused">The fused pass (true) or the four passes (false), as a choices file's "-fused" name asks;
    /// null: by <see cref="FusedChunk"/>'s rule. <see cref="Fused"/>, set by tests, overrides both.</param>
    public void Run(float[] y, float[] x, CpuTensor w, float[]? b, float[]? r, ConvParams p, CpuWorkers workers, int tile = Tile4, bool? fused = null)
    {
        if (!Supports(p) || (tile != Tile4 && !(tile == 2 && SupportsTile2(p))))
        {
            throw new ArgumentException($"Winograd F({tile}x{tile}) needs a 3x3 (or with 4x4 tiles 5x5) stride-1 undilated convolution, got {p.Window}");
        }

        var kernel = p.Window.KernelH;
        _p = p;
        _cg = p.GroupInputs;
        _mg = p.GroupOutputs;
        _tile = tile;
        _set = WinogradMatrices.For(kernel, tile);
        _alpha = _set.Alpha;
        _points = _alpha * _alpha;
        _c8 = (int)RoundUp(_cg, 8);
        _blocks = _c8 / 8;
        _panels = (_mg + NR - 1) / NR;
        _tilesH = (p.OutH + tile - 1) / tile;
        _tilesW = (p.OutW + tile - 1) / tile;
        _tiles = p.N * _tilesH * _tilesW;
        _paddedTiles = (int)RoundUp(_tiles, ConvTile.Rows(_wide));
        _hp = (tile * _tilesH) + _alpha - tile;
        _wp = (tile * _tilesW) + _alpha - tile;
        _x = x;
        _y = y;
        _r = r ?? [];
        _w = TransformedWeights(w, p.Groups, _mg, _cg, kernel, tile);

        AlignedFloats.Grow(ref _planes, (long)p.N * _c8 * _hp * _wp);
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

        _chunk = FusedChunk(workers.Size, fused);
        if (_chunk == 0)
        {
            // The four passes' whole-layer transforms and sums (the fused pass keeps a chunk's per thread).
            AlignedFloats.Grow(ref _v, (long)_points * _paddedTiles * _c8);
            AlignedFloats.Grow(ref _acc, (long)_points * _panels * _paddedTiles * NR);
        }

        for (_group = 0; _group < p.Groups; _group++)
        {
            workers.For(p.N * _blocks, _repack);
            if (_chunk > 0)
            {
                workers.For((_tiles + _chunk - 1) / _chunk, _fused);
                continue;
            }

            workers.For(p.N * _blocks * _tilesH, _input);
            workers.For(_points * _panels, _gemm);
            workers.For(_panels * p.N * _tilesH, _output);
        }

        _x = _y = _r = [];
    }

    private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>Transformed weights of one group at most this large take the fused pass: every chunk reads all of them,
    /// where the four passes split them between threads by ξ and panel. Measured on ResNet-18 in a forward (2-core EPYC): 28×28×128 (2.4 MB, seven chunks) fused 0.47–0.50 ms
    /// against 0.65–0.75; 14×14×256 (9.4 MB, two chunks, each thread reading all of them) fused 0.67–0.76 against
    /// 0.60–0.65.</summary>
    private const long FusedWeightBytes = 4L << 20;

    /// <summary>A chunk's transformed inputs and sums together at most this large where channels allow (L2's share).</summary>
    private const long FusedChunkBytes = 192 * 1024;

    /// <summary>
    /// Tiles per item of the fused pass, or 0 for the four separate passes. The separate passes write every tile's
    /// transforms, then every tile's sums, then read them back: 1.8 MB each for a 56×56×64 layer, past L2, so each
    /// pass streams from L3 (or memory, on a busy host). The fused pass transforms a chunk of tiles, multiplies it
    /// and writes its outputs while the chunk is still in the core's L2; it pays for that by reading the
    /// transformed weights once per chunk. The rule: fused where the transformed weights are at most
    /// <see cref="FusedWeightBytes"/> and there are chunks for every thread (a layer with fewer keeps the four passes,
    /// whose products split by ξ and panel: 7×7×512 has 4 tiles of 4×4, one chunk: fused, one thread did all of it,
    /// 2.2 ms against the four passes' 1.8). Measured on ResNet-18 (2-core AMD EPYC, AVX-512, a busy hour):
    /// 56×56×64 0.70 → 0.45 ms, 28×28×128 0.92 → 0.70. Timing the two forms alone, as <see cref="ConvChoices"/> times
    /// algorithms, was tried (session 13): they came within a few percent, and the one faster alone was slower in
    /// the forward (14×14×256 fused 0.57–0.72 ms against the four passes' 0.52–0.60, alternating), so the rule
    /// stays; <paramref name="fused"/> forces either.
    /// </summary>
    private int FusedChunk(int threads, bool? fused)
    {
        // Chunks are a multiple of the register tile's rows (no block straddles two chunks), small enough that a
        // chunk's transforms and sums stay in L2's share, and at least four per thread where there are tiles enough
        // (the last one is short).
        var rows = ConvTile.Rows(_wide);
        var weightBytes = (long)_points * _panels * _c8 * NR * sizeof(float);
        var tileBytes = (long)_points * (_c8 + (_panels * NR)) * sizeof(float);
        var byCache = Math.Max(rows, FusedChunkBytes / tileBytes / rows * rows);
        var byBalance = RoundUp((_tiles + (4 * threads) - 1) / (4 * threads), rows);
        var chunk = (int)Math.Max(rows, Math.Min(byCache, byBalance));
        var rule = weightBytes <= FusedWeightBytes && (_tiles + chunk - 1) / chunk >= threads;
        return (Fused ?? fused ?? rule) ? chunk : 0;
    }

    /// <summary>V[ξ][slot][block] = Bᵀ d B for one tile's 8 channels of block <paramref name="cb"/>, into
    /// <paramref name="v"/> ([ξ][slots][c8]: all tiles, slot = tile, or one chunk's, slot = tile − its first) whose ξ
    /// planes are <paramref name="slots"/> tiles apart.</summary>
    private void InputTile(int tile, int cb, Span<Vector256<float>> t, float* v, int slots, int slot)
    {
        int tx = tile % _tilesW, rest = tile / _tilesW, ty = rest % _tilesH, n = rest / _tilesH, wp = _wp;
        var stride = (long)slots * _c8; // between ξ planes of V
        var plane = _planes.Pointer + ((long)((n * _blocks) + cb) * _hp * wp * 8);
        var corner = plane + ((((ty * _tile * wp) + (tx * _tile))) * 8);
        var dst = v + ((long)slot * _c8) + (cb * 8);
        if (_alpha != Patch)
        {
            WinogradMatrices.InputTile(corner, wp * 8, _set, dst, stride);
            return;
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

    /// <summary>M[ξ] = U[ξ]·V[ξ] for one 16-channel panel of one ξ, slots [first, end) of V (first a multiple of the
    /// tile's rows; a last block past end computes padding rows, which are never read) into sums
    /// [ξ][panel][slots][16]; V and the sums hold <paramref name="slots"/> tiles a plane, and row i reads
    /// V's tile at <paramref name="bases"/>[i].</summary>
    private void GemmTiles(int xi, int panel, int first, int end, int* offsets, int* bases, float* v, float* sums, int slots)
    {
        int c8 = _c8, rows = ConvTile.Rows(_wide);
        var w = _w.Pointer + ((((((long)_group * _points) + xi) * _panels) + panel) * c8 * NR);
        var x = v + ((long)xi * slots * c8);
        var acc = sums + ((((long)xi * _panels) + panel) * slots * NR);
        for (var pc = 0; pc < c8; pc += KC)
        {
            var kc = Math.Min(KC, c8 - pc);
            for (var i = first; i < end; i += rows)
            {
                ConvTile.Block<Prefetching>(_wide, kc, w + (pc * NR), offsets + pc, x, bases + i, end - i, acc + (i * NR), pc > 0);
            }
        }
    }

    /// <summary>y = Aᵀ M A + b for one tile of one 16-channel panel, written into y's planes, from its sums at
    /// <paramref name="slot"/> of <paramref name="sums"/> ([ξ][panel][slots][16]).</summary>
    private void OutputTile(int tile, int panel, Span<Vector256<float>> s, float* result, float* y, float* residual, float* biasAll, float* sums, int slots, int slot)
    {
        var p = _p;
        var relu = p.Relu && residual == null; // with a residual, the Relu comes after it, in Scatter
        int tx = tile % _tilesW, rest = tile / _tilesW, ty = rest % _tilesH, n = rest / _tilesH;
        int m0 = panel * NR, channels = Math.Min(NR, _mg - m0), edge = _tile, rows = Math.Min(edge, p.OutH - (ty * edge));
        var stride = (long)_panels * slots * NR; // between ξ planes of the sums
        sums += (((long)panel * slots) + slot) * NR;
        var bias = biasAll + (_group * _panels * NR);
        for (var half = 0; half < NR; half += 8)
        {
            var b = Vector256.Load(bias + m0 + half);
            var m = sums + half;
            if (_alpha != Patch)
            {
                WinogradMatrices.OutputTile(m, stride, _set, b, relu, result + half, NR);
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

            // Rows: out[i][j] = (s A)[i][j] + b (the 6×6 patch is F(4×4, 3×3)'s).
            for (var i = 0; i < Tile4; i++)
            {
                var r = i * Patch;
                WinogradMatrices.OutputRow(s[r], s[r + 1], s[r + 2], s[r + 3], s[r + 4], s[r + 5], b, result + (i * Tile4 * NR) + half, NR, relu);
            }
        }

        var cols = Math.Min(edge, p.OutW - (tx * edge));
        var corner = (((long)(n * p.M) + (_group * _mg) + m0) * p.OutH * p.OutW) + ((long)ty * edge * p.OutW) + (tx * edge);
        Scatter(result, edge, y + corner, residual == null ? null : residual + corner, p.Relu ? 0f : float.NegativeInfinity, p, channels, rows, cols);
    }

    /// <summary>One tile's outputs, [position][channel] in result, into y's channel planes from their corner; with a
    /// residual (its planes from the same corner, else null), added at the same positions, then the floor (0 for a
    /// fused Relu: below it becomes it, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scatter(float* result, int tile, float* corner, float* residual, float floor, ConvParams p, int channels, int rows, int cols)
    {
        var plane = (long)p.OutH * p.OutW;
        var lowest = Vector128.Create(floor);
        for (var j = 0; j < channels; j++)
        {
            for (var i = 0; i < rows; i++)
            {
                var src = result + (i * tile * NR) + j;
                var at = (j * plane) + ((long)i * p.OutW);
                if (cols == 4)
                {
                    var v = Vector128.Create(src[0], src[NR], src[2 * NR], src[3 * NR]);
                    if (residual != null)
                    {
                        v += Vector128.Load(residual + at);
                        v = Vector128.ConditionalSelect(Vector128.LessThan(v, lowest), lowest, v);
                    }

                    v.Store(corner + at);
                    continue;
                }

                for (var k = 0; k < cols; k++)
                {
                    var v = src[k * NR];
                    if (residual != null)
                    {
                        v += residual[at + k];
                        v = v < floor ? floor : v;
                    }

                    corner[at + k] = v;
                }
            }
        }
    }

    /// <summary>U[ξ] = (G g Gᵀ)[ξ] for every (m, c) of every group, packed as [group][ξ][panel][c8][16], zero past
    /// the group's M and C.</summary>
    private AlignedFloats TransformedWeights(CpuTensor w, int groups, int m, int c, int kernel, int tile)
    {
        if (w.IsConstant && w.Derived is Packed cached && cached.Groups == groups && cached.M == m && cached.C == c && cached.Kernel == kernel && cached.Tile == tile)
        {
            return cached.Data;
        }

        int c8 = (int)RoundUp(c, 8), panels = (m + NR - 1) / NR, taps = kernel * kernel;
        var set = WinogradMatrices.For(kernel, tile);
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
            w.Derived = new Packed(packed, groups, m, c, kernel, tile);
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
                            Transpose8.Block(src + ix, p.H * p.W, dst + (ix * 8));
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
    }

    /// <summary>Pass 2: V = Bᵀ d B for one row of tiles of one channel block.</summary>
    private sealed class InputJob(WinogradConv o) : IWorkItem
    {
        public void Run(int item)
        {
            int ty = item % o._tilesH, rest = item / o._tilesH, cb = rest % o._blocks, n = rest / o._blocks;
            Span<Vector256<float>> t = stackalloc Vector256<float>[Patch * Patch];
            var first = ((n * o._tilesH) + ty) * o._tilesW;
            for (var tile = first; tile < first + o._tilesW; tile++)
            {
                o.InputTile(tile, cb, t, o._v.Pointer, o._paddedTiles, tile);
            }
        }
    }

    /// <summary>Pass 3: M[ξ] = U[ξ]·V[ξ] for one 16-channel panel of one ξ, all tiles.</summary>
    private sealed class GemmJob(WinogradConv o) : IWorkItem
    {
        public void Run(int item)
        {
            fixed (int* offsets = o._offsets, bases = o._bases)
            {
                o.GemmTiles(item / o._panels, item % o._panels, 0, o._tiles, offsets, bases, o._v.Pointer, o._acc.Pointer, o._paddedTiles);
            }
        }
    }

    /// <summary>Pass 4: y = Aᵀ M A + b for one row of tiles of one 16-channel panel, written into y's planes.</summary>
    private sealed class OutputJob(WinogradConv o) : IWorkItem
    {
        public void Run(int item)
        {
            int ty = item % o._tilesH, rest = item / o._tilesH, n = rest % o._p.N, panel = rest / o._p.N;
            Span<Vector256<float>> s = stackalloc Vector256<float>[Tile4 * Patch];
            var result = stackalloc float[Tile4 * Tile4 * NR]; // [position][channel], for either tile
            var first = ((n * o._tilesH) + ty) * o._tilesW;
            fixed (float* biasAll = o._bias, y = o._y, residual = o._r)
            {
                for (var tile = first; tile < first + o._tilesW; tile++)
                {
                    o.OutputTile(tile, panel, s, result, y, residual, biasAll, o._acc.Pointer, o._paddedTiles, tile);
                }
            }
        }
    }

    /// <summary>A thread's transforms and sums of one chunk of the fused pass: [ξ][chunk][c8], then [ξ][panel][chunk][16].
    /// Its own and reused chunk after chunk, so they stay in the core's L2; in the whole layer's buffers each chunk
    /// wrote lines no other chunk used, which a forward brings from memory (a fully connected layer streamed 234 MB
    /// since the last one). In one process, alternating, the caches emptied before each run (2-core EPYC, AVX2):
    /// AlexNet's conv2 (27×27, 5×5, 64 → 192) 1.59–1.75 → 1.35–1.52 ms, its conv1 folded (<see cref="SpaceToDepthConv"/>)
    /// 1.01–1.09 → 0.89–1.08; warm, equal.</summary>
    [ThreadStatic]
    private static AlignedFloats? t_chunkScratch;

    /// <summary>Passes 2–4 for one chunk of tiles, one after another on one thread, so the chunk's transforms and
    /// sums stay in that core's L2 (see <see cref="FusedChunk"/> and <see cref="t_chunkScratch"/>).</summary>
    private sealed class FusedJob(WinogradConv o) : IWorkItem
    {
        public void Run(int item)
        {
            int first = item * o._chunk, end = Math.Min(o._tiles, first + o._chunk), count = end - first, slots = o._chunk;
            long vLength = (long)o._points * slots * o._c8; // slots a multiple of 6 or 8, c8 of 8: the sums start 64-byte aligned
            var scratch = t_chunkScratch ?? AlignedFloats.Empty;
            AlignedFloats.Grow(ref scratch, vLength + ((long)o._points * o._panels * slots * NR));
            t_chunkScratch = scratch;
            float* v = scratch.Pointer, sums = scratch.Pointer + vLength;
            Span<Vector256<float>> t = stackalloc Vector256<float>[Patch * Patch];
            var result = stackalloc float[Tile4 * Tile4 * NR];
            var bases = stackalloc int[slots]; // rows past the chunk's last tile repeat it; their sums are never read
            for (var i = 0; i < slots; i++)
            {
                bases[i] = Math.Min(i, count - 1) * o._c8;
            }

            for (var cb = 0; cb < o._blocks; cb++)
            {
                for (var tile = first; tile < end; tile++)
                {
                    o.InputTile(tile, cb, t, v, slots, tile - first);
                }
            }

            fixed (int* offsets = o._offsets)
            {
                for (var xi = 0; xi < o._points; xi++)
                {
                    for (var panel = 0; panel < o._panels; panel++)
                    {
                        o.GemmTiles(xi, panel, 0, count, offsets, bases, v, sums, slots);
                    }
                }
            }

            fixed (float* biasAll = o._bias, y = o._y, residual = o._r)
            {
                for (var panel = 0; panel < o._panels; panel++)
                {
                    for (var tile = first; tile < end; tile++)
                    {
                        o.OutputTile(tile, panel, t[..(Tile4 * Patch)], result, y, residual, biasAll, sums, slots, tile - first);
                    }
                }
            }
        }
    }
}
