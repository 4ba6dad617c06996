// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// Convolution as a GEMM that reads its input in place: no im2col. A padded input is copied once into a zero-padded
/// buffer (an unpadded one is read where it is); output position p then reads tap k at
/// <c>xpad[base(p) + offset(k)]</c>, where base(p) = oy·S·Wp + ox·S and offset(k) = c·Hp·Wp + ky·D·Wp + kx·D, for any
/// stride, dilation and padding. A register tile (<see cref="ConvTile"/>: 6 or 8 output positions × NR output
/// channels; NR = 16, or with 512-bit vectors 64 where a group's outputs are whole panels of 64 and 32 where a group
/// has more than 16) broadcasts one input value per position and multiplies it by the NR weights of that tap, loaded
/// from weights packed once per model as NR-channel panels [tap][NR]: a panel's block of up to 256 taps (16 to 64 KB)
/// stays in L1 or L2 while every position streams past it.
/// </summary>
/// <remarks>
/// A work item is one NR-channel panel of one group over one chunk of output positions (96, a multiple of the
/// tile's rows): it accumulates the chunk's outputs in a position-major buffer, 6 to 24 KB by the panel's width, that
/// stays in L1, then writes them to y with the bias through 8×8 transposes. Where a group's packed weights fit in
/// <see cref="ChunkMajorWeightBytes"/>, a chunk's panels are consecutive items, so a thread's share reads each chunk
/// of the input once for all its panels while the weights stay in L2; panel by panel, each panel read the whole input
/// again (2-core EPYC, AVX2, in one process: ResNet-18's 1×1 stride-2 projection 0.132–0.141 → 0.107–0.114 ms, its
/// 3×3 stride-2 layer2 conv 6–8% faster, AlexNet's conv1 3%). Larger weights keep the panel-major order: each
/// panel's weights are read once while the input stays in L2 (equal there on layer3 and layer4's stride-2 layers,
/// 1.2 and 4.7 MB; not measured on AVX-512). With all positions in
/// one item, ResNet-18's 7×7 stem filled a 1.6 MB buffer per panel and spent 0.39 of its 1.04 ms reading it
/// back. Nothing is allocated per call once the scratch has grown; weights of constant tensors are packed once
/// and kept on the tensor.
/// </remarks>
/// <param name="wide">Use the 512-bit register tile (<see cref="ConvTile.WideAvailable"/> must hold).</param>
internal sealed unsafe class WindowConv(bool wide) : IWorkItem
{
    /// <summary>Output channels per panel of the 16-channel tiles.</summary>
    public const int NR = ConvTile.NR;

    private const int KC = 256;

    /// <summary>Taps a K block: at most <see cref="KC"/>, the blocks as equal as an even count allows (576 taps: three
    /// of 192, not 256, 256 and a last 64 whose accumulator loads and stores cost as much as a full block's). In one
    /// process, alternating with the 256-tap split (2-core EPYC, AVX2): 3×3 stride-2 64→128 1.18 → 1.12 ms and
    /// AlexNet's conv1 1.55 → 1.49 in one run, equal within the noise in another.</summary>
    private static int BlockTaps(int taps)
    {
        var blocks = (taps + KC - 1) / KC;
        var per = (taps + blocks - 1) / blocks;
        return per + (per & 1);
    }

    /// <summary>A group's packed weights up to this size are read chunk by chunk, all panels of a chunk in turn (a
    /// Zen 3 core's L2; the layers measured faster so were 37 to 295 KB).</summary>
    private const long ChunkMajorWeightBytes = 512 << 10;

    /// <summary>Output positions per work item: a multiple of both tiles' rows (6 and 8).</summary>
    private const int ChunkPositions = 96;

    private readonly bool _wide = wide && ConvTile.WideAvailable;

    private float[] _xpad = [];
    private float[] _x = []; // what the tiles read: the padded copy, or x itself where there is no padding (x is not y)
    private AlignedFloats _acc = AlignedFloats.Empty; // 64-byte aligned, as the packed weights: see PackedWeights
    private int[] _offsets = [];
    private int[] _bases = [];
    private AlignedFloats _packScratch = AlignedFloats.Empty;

    // One call's state, set by Run(...) before the workers start.
    private AlignedFloats _w = AlignedFloats.Empty;
    private float[] _y = [];
    private float[]? _b;
    private float[] _r = []; // the residual, or empty
    private int _wOffset, _yOffset, _xOffset, _taps, _positions, _paddedPositions, _groupOutputs, _biasOffset;
    private int _chunk, _chunks, _panels; // output positions per work item (a multiple of the tile's rows), chunks a panel, panels a group
    private int _blockTaps; // taps a K block (BlockTaps), the same for every item of a call
    private int _nr = NR, _rows = 6; // this call's panel width and tile rows
    private bool _relu, _chunkMajor;

    /// <summary>Weights packed for one convolution geometry, kept on a constant weight tensor.</summary>
    private sealed record Packed(AlignedFloats Data, int Groups, int GroupOutputs, int Taps, int Nr);

    /// <summary>y = conv(x, w) + b (+ r) for every image of the batch.</summary>
    public void Run(float[] y, float[] x, CpuTensor w, float[]? b, float[]? r, ConvParams p, CpuWorkers workers)
    {
        var win = p.Window;
        int cg = p.GroupInputs, mg = p.GroupOutputs, taps = EvenTaps(cg * win.KernelH * win.KernelW);
        int hp = p.H + win.PadTop + win.PadBottom, wp = p.W + win.PadLeft + win.PadRight;
        // More than 16 outputs a group on 512-bit vectors: 64-channel panels and the 6×64 tile (24 accumulators) where
        // the group's outputs are whole panels of 64, else 32-channel panels and the 6×32 tile (12 accumulators).
        _nr = !_wide || mg <= NR ? NR : mg % ConvTile.NR64 == 0 ? ConvTile.NR64 : ConvTile.NR32;
        _rows = _nr > NR ? 6 : ConvTile.Rows(_wide);
        int nr = _nr, positions = p.OutH * p.OutW, rows = _rows, padded = (positions + rows - 1) / rows * rows, panels = (mg + nr - 1) / nr;

        _w = PackedWeights(w, p.Groups, mg, cg * win.KernelH * win.KernelW, nr);
        _b = b;
        _r = r ?? [];
        _taps = taps;
        _positions = positions;
        _paddedPositions = padded;
        _groupOutputs = mg;
        _relu = p.Relu;
        _chunk = ChunkPositions / rows * rows;
        _chunks = (padded + _chunk - 1) / _chunk;
        // Copied into the padded planes where there is padding (x is never y: CpuBackend.Conv refuses it).
        var copy = win.PadTop != 0 || win.PadLeft != 0 || win.PadBottom != 0 || win.PadRight != 0;
        if (copy)
        {
            ScratchArrays.Grow(ref _xpad, (long)p.C * hp * wp);
        }

        _x = copy ? _xpad : x;
        AlignedFloats.Grow(ref _acc, (long)panels * padded * nr);
        ScratchArrays.Grow(ref _offsets, taps);
        ScratchArrays.Grow(ref _bases, padded);
        _y = y;

        // Tap offsets within one group's padded planes, and each output position's window corner. An odd tap count
        // gets one more tap at offset 0 whose weights are 0, so the kernel always takes taps two at a time.
        _offsets[taps - 1] = 0;
        var k = 0;
        for (var c = 0; c < cg; c++)
        {
            for (var ky = 0; ky < win.KernelH; ky++)
            {
                for (var kx = 0; kx < win.KernelW; kx++)
                {
                    _offsets[k++] = (((c * hp) + (ky * win.DilationH)) * wp) + (kx * win.DilationW);
                }
            }
        }

        for (var i = 0; i < padded; i++)
        {
            var q = Math.Min(i, positions - 1); // the last tile repeats the last position; its rows are not read back
            _bases[i] = ((q / p.OutW) * win.StrideH * wp) + ((q % p.OutW) * win.StrideW);
        }

        _panels = panels;
        _blockTaps = BlockTaps(taps);
        _chunkMajor = (long)panels * taps * nr * sizeof(float) <= ChunkMajorWeightBytes;
        try
        {
            for (var n = 0; n < p.N; n++)
            {
                // Without padding the tiles read image n where it is: copying it cost ResNet-18's 1×1 stride-2
                // projections a serial pass over their whole input (800 KB for layer2's).
                var image = 0;
                if (copy)
                {
                    PadInput(x, n * p.C * p.H * p.W, p, hp, wp, workers);
                }
                else
                {
                    image = n * p.C * p.H * p.W;
                }

                for (var g = 0; g < p.Groups; g++)
                {
                    _xOffset = image + (g * cg * hp * wp);
                    _wOffset = g * panels * taps * nr;
                    _yOffset = ((n * p.M) + (g * mg)) * positions;
                    _biasOffset = g * mg;
                    workers.For(panels * _chunks, this);
                }
            }
        }
        finally
        {
            _y = _r = _x = [];
            _w = AlignedFloats.Empty;
            _b = null;
        }
    }

    /// <summary>One NR-channel panel of the current group over one chunk of positions: all taps, then the copy-out
    /// with bias. Chunks start at multiples of the tile's rows, so no block straddles two.</summary>
    public void Run(int item)
    {
        int taps = _taps, rows = _rows, nr = _nr;
        int panel = _chunkMajor ? item % _panels : item / _chunks;
        var first = (_chunkMajor ? item / _panels : item % _chunks) * _chunk;
        var end = Math.Min(_paddedPositions, first + _chunk);
        float* wAll = _w.Pointer, accAll = _acc.Pointer;
        fixed (float* xAll = _x, y = _y, r = _r)
        fixed (int* offsets = _offsets, bases = _bases)
        {
            var w = wAll + _wOffset + ((long)panel * taps * nr);
            var acc = accAll + ((long)panel * _paddedPositions * nr);
            var x = xAll + _xOffset;
            var step = _blockTaps;
            for (var pc = 0; pc < taps; pc += step)
            {
                var kc = Math.Min(step, taps - pc);
                var accumulate = pc > 0;
                for (var i = first; i < end; i += rows)
                {
                    if (nr == ConvTile.NR64)
                    {
                        ConvTile.Block64(kc, w + (pc * nr), offsets + pc, x, bases + i, _positions - i, acc + (i * nr), accumulate);
                    }
                    else if (nr == ConvTile.NR32)
                    {
                        ConvTile.Block32(kc, w + (pc * nr), offsets + pc, x, bases + i, _positions - i, acc + (i * nr), accumulate);
                    }
                    else if (_chunkMajor)
                    {
                        // The group's weights stay in L2 while chunks pass: no prefetch (ResNet-18's stem 5–10% faster).
                        ConvTile.Block<NoPrefetching>(_wide, kc, w + (pc * nr), offsets + pc, x, bases + i, _positions - i, acc + (i * nr), accumulate);
                    }
                    else
                    {
                        ConvTile.Block<Prefetching>(_wide, kc, w + (pc * nr), offsets + pc, x, bases + i, _positions - i, acc + (i * nr), accumulate);
                    }
                }
            }

            CopyOut(panel, acc, y, r, first, Math.Min(_positions, end));
        }
    }

    /// <summary>acc (position-major, NR channels a row) to y (channel-major) with the bias, then the residual r (null
    /// for none) at y's own positions, then a fused Relu (below 0 becomes 0, NaN stays NaN). Eight channels at a time
    /// through an 8×8 transpose kept in registers, each column finished and stored as it comes out.</summary>
    private void CopyOut(int panel, float* acc, float* y, float* r, int first, int end)
    {
        int nr = _nr, m0 = panel * nr, channels = Math.Min(nr, _groupOutputs - m0), positions = _positions;
        var relu = _relu;
        var vectors = Avx.IsSupported ? channels / 8 * 8 : 0; // channels written 8 rows at a time through a transpose
        var whole = first + ((end - first) / 8 * 8);
        for (var j0 = 0; j0 < vectors; j0 += 8)
        {
            var rows = y + _yOffset + ((long)(m0 + j0) * positions);
            var skips = r == null ? null : r + _yOffset + ((long)(m0 + j0) * positions);
            var bias = _b is null ? Vector256<float>.Zero : Vector256.Create(_b, _biasOffset + m0 + j0);
            Vector256<float> b0 = Vector256.Create(bias.GetElement(0)), b1 = Vector256.Create(bias.GetElement(1)), b2 = Vector256.Create(bias.GetElement(2)), b3 = Vector256.Create(bias.GetElement(3));
            Vector256<float> b4 = Vector256.Create(bias.GetElement(4)), b5 = Vector256.Create(bias.GetElement(5)), b6 = Vector256.Create(bias.GetElement(6)), b7 = Vector256.Create(bias.GetElement(7));
            for (var q = first; q < whole; q += 8)
            {
                // Column c: channel j0 + c at positions q..q+7.
                Transpose8.Columns(acc + (q * nr) + j0, nr, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
                Finish(c0 + b0, rows, skips, q, relu);
                Finish(c1 + b1, rows, skips, positions + q, relu);
                Finish(c2 + b2, rows, skips, (2L * positions) + q, relu);
                Finish(c3 + b3, rows, skips, (3L * positions) + q, relu);
                Finish(c4 + b4, rows, skips, (4L * positions) + q, relu);
                Finish(c5 + b5, rows, skips, (5L * positions) + q, relu);
                Finish(c6 + b6, rows, skips, (6L * positions) + q, relu);
                Finish(c7 + b7, rows, skips, (7L * positions) + q, relu);
            }
        }

        for (var j = 0; j < channels; j++)
        {
            var b = _b is null ? 0f : _b[_biasOffset + m0 + j];
            var row = y + _yOffset + ((long)(m0 + j) * positions);
            var skip = r + _yOffset + ((long)(m0 + j) * positions);
            for (var q = j < vectors ? whole : first; q < end; q++)
            {
                var v = acc[(q * nr) + j] + b;
                v = r != null ? v + skip[q] : v;
                row[q] = relu && v < 0f ? 0f : v;
            }
        }
    }

    /// <summary>v (+ the residual at <paramref name="at"/>), floored at 0 for a fused Relu, stored at y[at].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(Vector256<float> v, float* y, float* skips, long at, bool relu)
    {
        if (skips != null)
        {
            v += Vector256.Load(skips + at);
        }

        if (relu)
        {
            v = Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), Vector256<float>.Zero, v);
        }

        v.Store(y + at);
    }

    private static int EvenTaps(int taps) => taps + (taps & 1);

    /// <summary>Packs w (M, C/G, KH, KW) as [group][panel][tap][nr], zero past the group's last channel and past
    /// the last tap (an odd count is padded to even), 64-byte aligned so that no weight load splits a cache line (a
    /// tap's NR weights are 64 bytes), as the Winograd forms' already were: in a plain array half the 256-bit loads
    /// split two lines, or none did, by where the allocator put it. On the Zen 3 VM the whole-network difference was
    /// below its noise (ResNet-18, direct in layer4: 0.948 / 0.937 / 0.835× ONNX Runtime before, 0.901 / 0.912 /
    /// 0.831× after, alternating).</summary>
    private AlignedFloats PackedWeights(CpuTensor w, int groups, int mg, int taps, int nr)
    {
        if (w.IsConstant && w.Derived is Packed cached && cached.Groups == groups && cached.GroupOutputs == mg && cached.Taps == taps && cached.Nr == nr)
        {
            return cached.Data;
        }

        var panels = (mg + nr - 1) / nr;
        var even = EvenTaps(taps);
        var length = (long)groups * panels * even * nr;
        var aligned = ScratchArrays.ForPacking(w, ref _packScratch, length);
        var packed = aligned.Span;

        var source = w.Data;
        for (var g = 0; g < groups; g++)
        {
            for (var panel = 0; panel < panels; panel++)
            {
                var dst = ((long)(g * panels) + panel) * even * nr;
                for (var j = 0; j < nr; j++)
                {
                    var m = (panel * nr) + j;
                    var src = ((long)(g * mg) + m) * taps;
                    for (var k = 0; k < even; k++)
                    {
                        packed[(int)(dst + (k * nr) + j)] = m < mg && k < taps ? source[src + k] : 0f;
                    }
                }
            }
        }

        if (w.IsConstant)
        {
            w.Derived = new Packed(aligned, groups, mg, taps, nr);
        }

        return aligned;
    }

    /// <summary>Copies image n into the zero-padded planes, a channel per work item.</summary>
    private void PadInput(float[] x, int xOffset, ConvParams p, int hp, int wp, CpuWorkers workers)
    {
        _pad.Set(_xpad, x, xOffset, p, hp, wp);
        workers.For(p.C, _pad);
    }

    private readonly PadJob _pad = new();

    private sealed class PadJob : IWorkItem
    {
        private float[] _dst = [];
        private float[] _src = [];
        private int _srcOffset, _hp, _wp;
        private ConvParams _p;

        public void Set(float[] dst, float[] src, int srcOffset, ConvParams p, int hp, int wp) =>
            (_dst, _src, _srcOffset, _p, _hp, _wp) = (dst, src, srcOffset, p, hp, wp);

        public void Run(int c)
        {
            var p = _p;
            var plane = _dst.AsSpan(c * _hp * _wp, _hp * _wp);
            plane.Clear();
            for (var iy = 0; iy < p.H; iy++)
            {
                _src.AsSpan(_srcOffset + (((c * p.H) + iy) * p.W), p.W).CopyTo(plane[(((iy + p.Window.PadTop) * _wp) + p.Window.PadLeft)..]);
            }
        }
    }
}
