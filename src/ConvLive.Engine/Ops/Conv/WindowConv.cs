// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// Convolution as a GEMM that reads its input in place: no im2col. The input is copied once into a zero-padded
/// buffer; output position p then reads tap k at <c>xpad[base(p) + offset(k)]</c>, where base(p) = oy·S·Wp + ox·S
/// and offset(k) = c·Hp·Wp + ky·D·Wp + kx·D, for any stride, dilation and padding. A 6×16 register tile (6
/// output positions × 16 output channels, 12 AVX accumulators) broadcasts one input value per position and
/// multiplies it by 16 weights of that tap, loaded from weights packed once per model as 16-channel panels
/// [tap][16]: a panel's block of 256 taps (16 KB) stays in L1 while every position streams past it.
/// </summary>
/// <remarks>
/// A work item is one 16-channel panel of one group: it accumulates the panel's outputs for all positions in a
/// position-major buffer, then writes them to y with the bias. Nothing is allocated per call once the scratch
/// has grown; weights of constant tensors are packed once and kept on the tensor.
/// </remarks>
internal sealed unsafe class WindowConv : IWorkItem
{
    /// <summary>Output channels per panel: two 8-float vectors.</summary>
    public const int NR = 16;

    /// <summary>Output positions per register tile.</summary>
    public const int MR = 6;

    private const int KC = 256;

    private float[] _xpad = [];
    private float[] _acc = [];
    private int[] _offsets = [];
    private int[] _bases = [];
    private float[] _packScratch = [];

    // One call's state, set by Run(...) before the workers start.
    private float[] _w = [];
    private float[] _y = [];
    private float[]? _b;
    private int _wOffset, _yOffset, _xOffset, _taps, _positions, _paddedPositions, _groupOutputs, _biasOffset;
    private bool _relu;

    /// <summary>Weights packed for one convolution geometry, kept on a constant weight tensor.</summary>
    private sealed record Packed(float[] Data, int Groups, int GroupOutputs, int Taps);

    /// <summary>y = conv(x, w) + b for every image of the batch.</summary>
    public void Run(float[] y, float[] x, CpuTensor w, float[]? b, ConvParams p, CpuWorkers workers)
    {
        var win = p.Window;
        int cg = p.GroupInputs, mg = p.GroupOutputs, taps = EvenTaps(cg * win.KernelH * win.KernelW);
        int hp = p.H + win.PadTop + win.PadBottom, wp = p.W + win.PadLeft + win.PadRight;
        int positions = p.OutH * p.OutW, padded = (positions + MR - 1) / MR * MR, panels = (mg + NR - 1) / NR;

        _w = PackedWeights(w, p.Groups, mg, cg * win.KernelH * win.KernelW);
        _b = b;
        _taps = taps;
        _positions = positions;
        _paddedPositions = padded;
        _groupOutputs = mg;
        _relu = p.Relu;
        ScratchArrays.Grow(ref _xpad, (long)p.C * hp * wp);
        ScratchArrays.Grow(ref _acc, (long)panels * padded * NR);
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

        for (var n = 0; n < p.N; n++)
        {
            PadInput(x, n * p.C * p.H * p.W, p, hp, wp, workers);
            for (var g = 0; g < p.Groups; g++)
            {
                _xOffset = g * cg * hp * wp;
                _wOffset = g * panels * taps * NR;
                _yOffset = ((n * p.M) + (g * mg)) * positions;
                _biasOffset = g * mg;
                workers.For(panels, this);
            }
        }

        _y = [];
        _b = null;
    }

    /// <summary>One 16-channel panel of the current group: all positions, all taps, then the copy-out with bias.</summary>
    public void Run(int panel)
    {
        int taps = _taps, padded = _paddedPositions;
        fixed (float* wAll = _w, xAll = _xpad, accAll = _acc, y = _y)
        fixed (int* offsets = _offsets, bases = _bases)
        {
            var w = wAll + _wOffset + ((long)panel * taps * NR);
            var acc = accAll + ((long)panel * padded * NR);
            var x = xAll + _xOffset;
            for (var pc = 0; pc < taps; pc += KC)
            {
                var kc = Math.Min(KC, taps - pc);
                var accumulate = pc > 0;
                for (var i = 0; i < padded; i += MR)
                {
                    var bi = bases + i;
                    if (_positions - i <= FourRows.Count)
                    {
                        Tile<FourRows>(kc, w + (pc * NR), offsets + pc, x + bi[0], x + bi[1], x + bi[2], x + bi[3], null, null, acc + (i * NR), accumulate);
                    }
                    else
                    {
                        Tile<SixRows>(kc, w + (pc * NR), offsets + pc, x + bi[0], x + bi[1], x + bi[2], x + bi[3], x + bi[4], x + bi[5], acc + (i * NR), accumulate);
                    }
                }
            }

            CopyOut(panel, acc, y);
        }
    }

    /// <summary>acc (position-major, 16 channels a row) to y (channel-major) with the bias.</summary>
    private void CopyOut(int panel, float* acc, float* y)
    {
        int m0 = panel * NR, channels = Math.Min(NR, _groupOutputs - m0), positions = _positions;
        var floor = _relu ? 0f : float.NegativeInfinity; // a fused Relu, or nothing
        const int Block = 64;
        for (var p0 = 0; p0 < positions; p0 += Block)
        {
            var p1 = Math.Min(positions, p0 + Block);
            for (var j = 0; j < channels; j++)
            {
                var bias = _b is null ? 0f : _b[_biasOffset + m0 + j];
                var row = y + _yOffset + ((long)(m0 + j) * positions);
                for (var q = p0; q < p1; q++)
                {
                    row[q] = MathF.Max(acc[(q * NR) + j] + bias, floor); // NaN stays NaN
                }
            }
        }
    }

    /// <summary>
    /// acc[r][0..16) (+)= Σ_p x_r[offsets[p]]·w[p][0..16) for the tile's rows r (6, or 4 for a short last block:
    /// rows 4 and 5 and their pointers are then ignored; the JIT drops their code for <see cref="FourRows"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile<TRows>(int kc, float* w, int* offsets, float* x0, float* x1, float* x2, float* x3, float* x4, float* x5, float* acc, bool accumulate)
        where TRows : struct, ITileRows
    {
        var six = TRows.Count == 6;
        if (!Vector256.IsHardwareAccelerated)
        {
            ReadOnlySpan<nint> rows = [(nint)x0, (nint)x1, (nint)x2, (nint)x3, (nint)x4, (nint)x5];
            ScalarTile(kc, w, offsets, rows[..TRows.Count], acc, accumulate);
            return;
        }

        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // Two taps an iteration (kc is even): half the loop overhead, about 5% on the AlexNet convolutions.
        for (var p = 0; p < kc; p += 2, w += 2 * NR)
        {
            var o = offsets[p];
            var b0 = Vector256.Load(w);
            var b1 = Vector256.Load(w + 8);
            var a = Vector256.Create(x0[o]);
            c00 = Vector256.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            a = Vector256.Create(x1[o]);
            c10 = Vector256.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            a = Vector256.Create(x2[o]);
            c20 = Vector256.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            a = Vector256.Create(x3[o]);
            c30 = Vector256.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            if (six)
            {
                a = Vector256.Create(x4[o]);
                c40 = Vector256.FusedMultiplyAdd(a, b0, c40);
                c41 = Vector256.FusedMultiplyAdd(a, b1, c41);
                a = Vector256.Create(x5[o]);
                c50 = Vector256.FusedMultiplyAdd(a, b0, c50);
                c51 = Vector256.FusedMultiplyAdd(a, b1, c51);
            }

            o = offsets[p + 1];
            b0 = Vector256.Load(w + 16);
            b1 = Vector256.Load(w + 24);
            a = Vector256.Create(x0[o]);
            c00 = Vector256.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            a = Vector256.Create(x1[o]);
            c10 = Vector256.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            a = Vector256.Create(x2[o]);
            c20 = Vector256.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            a = Vector256.Create(x3[o]);
            c30 = Vector256.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            if (six)
            {
                a = Vector256.Create(x4[o]);
                c40 = Vector256.FusedMultiplyAdd(a, b0, c40);
                c41 = Vector256.FusedMultiplyAdd(a, b1, c41);
                a = Vector256.Create(x5[o]);
                c50 = Vector256.FusedMultiplyAdd(a, b0, c50);
                c51 = Vector256.FusedMultiplyAdd(a, b1, c51);
            }

        }

        Store(acc, c00, c01, accumulate);
        Store(acc + NR, c10, c11, accumulate);
        Store(acc + (2 * NR), c20, c21, accumulate);
        Store(acc + (3 * NR), c30, c31, accumulate);
        if (six)
        {
            Store(acc + (4 * NR), c40, c41, accumulate);
            Store(acc + (5 * NR), c50, c51, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector256<float> lo, Vector256<float> hi, bool accumulate)
    {
        if (accumulate)
        {
            lo += Vector256.Load(row);
            hi += Vector256.Load(row + 8);
        }

        lo.Store(row);
        hi.Store(row + 8);
    }

    private static void ScalarTile(int kc, float* w, int* offsets, ReadOnlySpan<nint> xs, float* acc, bool accumulate)
    {
        for (var r = 0; r < xs.Length; r++)
        {
            var x = (float*)xs[r];
            for (var j = 0; j < NR; j++)
            {
                var sum = 0f;
                for (var p = 0; p < kc; p++)
                {
                    sum += x[offsets[p]] * w[(p * NR) + j];
                }

                acc[(r * NR) + j] = accumulate ? acc[(r * NR) + j] + sum : sum;
            }
        }
    }

    private static int EvenTaps(int taps) => taps + (taps & 1);

    /// <summary>Packs w (M, C/G, KH, KW) as [group][panel][tap][16], zero past the group's last channel and past
    /// the last tap (an odd count is padded to even).</summary>
    private float[] PackedWeights(CpuTensor w, int groups, int mg, int taps)
    {
        if (w.IsConstant && w.Derived is Packed cached && cached.Groups == groups && cached.GroupOutputs == mg && cached.Taps == taps)
        {
            return cached.Data;
        }

        var panels = (mg + NR - 1) / NR;
        var even = EvenTaps(taps);
        var length = (long)groups * panels * even * NR;
        var packed = ScratchArrays.ForPacking(w, ref _packScratch, length);

        var source = w.Data;
        for (var g = 0; g < groups; g++)
        {
            for (var panel = 0; panel < panels; panel++)
            {
                var dst = ((long)(g * panels) + panel) * even * NR;
                for (var j = 0; j < NR; j++)
                {
                    var m = (panel * NR) + j;
                    var src = ((long)(g * mg) + m) * taps;
                    for (var k = 0; k < even; k++)
                    {
                        packed[dst + (k * NR) + j] = m < mg && k < taps ? source[src + k] : 0f;
                    }
                }
            }
        }

        if (w.IsConstant)
        {
            w.Derived = new Packed(packed, groups, mg, taps);
        }

        return packed;
    }

    /// <summary>Copies image n into the zero-padded planes, a channel per work item.</summary>
    private void PadInput(float[] x, int xOffset, ConvParams p, int hp, int wp, CpuWorkers workers)
    {
        var win = p.Window;
        if (win.PadTop == 0 && win.PadLeft == 0 && win.PadBottom == 0 && win.PadRight == 0)
        {
            Array.Copy(x, xOffset, _xpad, 0, p.C * p.H * p.W);
            return;
        }

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

/// <summary>How many rows (output positions) a <see cref="WindowConv.Tile{TRows}"/> call computes.</summary>
internal interface ITileRows
{
    /// <summary>6 or 4.</summary>
    static abstract int Count { get; }
}

/// <summary>The full 6×16 tile.</summary>
internal readonly struct SixRows : ITileRows
{
    public static int Count => 6;
}

/// <summary>A 4×16 tile for a block's last 1–4 positions (a third less work than a padded 6×16).</summary>
internal readonly struct FourRows : ITileRows
{
    public static int Count => 4;
}
