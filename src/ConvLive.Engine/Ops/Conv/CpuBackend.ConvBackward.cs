// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// Conv's backward on the CPU. The input gradient of a stride-1 convolution is itself a stride-1 convolution (of dy,
/// by the weights flipped in space with input and output channels swapped, padded by (K−1)·d − pad), so it runs on
/// the forward's fast paths (Winograd, the direct window kernel); other strides take col2im(Wᵀ·dy). The weight
/// gradient is dy·colᵀ. Products go through <see cref="Sgemm"/> (OpenBLAS when present); the col2im scatter runs
/// one input channel a worker, so no two workers add into the same element.
/// </summary>
public sealed partial class CpuBackend
{
    private readonly ConditionalWeakTable<DeviceTensor, float[]> _transposedWeights = [];
    private readonly ConditionalWeakTable<DeviceTensor, CpuTensor> _flippedWeights = [];

    /// <summary>Drops the backward pass's transposed and flipped copies of a weight that changed.</summary>
    private void ForgetWeightForms(DeviceTensor w)
    {
        _transposedWeights.Remove(w);
        _flippedWeights.Remove(w);
    }
    private float[] _columns = [];
    private float[] _weightsT = [];
    private float[] _flipped = [];

    /// <inheritdoc/>
    public unsafe void ConvBackwardData(DeviceTensor dx, DeviceTensor dy, DeviceTensor w, ConvParams p)
    {
        var win = p.Window;
        if (TransposedConv(p) is { } q)
        {
            Conv(dx, dy, FlippedWeights(Cast(w), p), null, q);
            return;
        }

        int cg = p.GroupInputs, mg = p.GroupOutputs, kk = cg * win.KernelH * win.KernelW, spatial = p.OutH * p.OutW, plane = p.H * p.W;
        float[] dxd = Cast(dx).Data, dyd = Cast(dy).Data;
        var wt = TransposedWeights(Cast(w), p.Groups, mg, kk);
        ScratchArrays.Grow(ref _columns, (long)kk * spatial);
        var columns = _columns;
        for (var n = 0; n < p.N; n++)
        {
            for (var g = 0; g < p.Groups; g++)
            {
                // columns (KK, S) = Wᵀ_g (KK, Mg) · dy_g (Mg, S)
                fixed (float* wp = wt, dp = dyd, cp = columns)
                {
                    Sgemm.Multiply(kk, spatial, mg, 1f, wp + ((long)g * kk * mg), mg, dp + ((long)((n * p.M) + (g * mg)) * spatial), spatial, 0f, cp, spatial, _workers, Options.Blas);
                }

                var xBase = ((n * p.C) + (g * cg)) * plane;
                _workers.For(cg, c => Col2Im(dxd, xBase + (c * plane), columns, c * win.KernelH * win.KernelW, p));
            }
        }
    }

    /// <inheritdoc/>
    public unsafe void ConvBackwardFilter(DeviceTensor dw, DeviceTensor? db, DeviceTensor dy, DeviceTensor x, ConvParams p)
    {
        var win = p.Window;
        int cg = p.GroupInputs, mg = p.GroupOutputs, kk = cg * win.KernelH * win.KernelW, spatial = p.OutH * p.OutW;
        float[] dwd = Cast(dw).Data, dyd = Cast(dy).Data, xd = Cast(x).Data;
        ScratchArrays.Grow(ref _columns, (long)kk * spatial);
        var columns = _columns;
        for (var n = 0; n < p.N; n++)
        {
            for (var g = 0; g < p.Groups; g++)
            {
                var xBase = ((n * p.C) + (g * cg)) * p.H * p.W;
                _workers.For(p.OutH, oy => Im2ColRows(columns, xd, xBase, oy, kk, p));

                // dW_g (Mg, KK) (+)= dy_g (Mg, S) · colᵀ (S, KK)
                fixed (float* dwp = dwd, dp = dyd, cp = columns)
                {
                    Sgemm.Multiply(mg, kk, spatial, 1f, dp + ((long)((n * p.M) + (g * mg)) * spatial), spatial, cp, kk, n == 0 ? 0f : 1f, dwp + ((long)g * mg * kk), kk, _workers, Options.Blas);
                }
            }
        }

        if (db is not null)
        {
            var dbd = Cast(db).Data;
            for (var m = 0; m < p.M; m++)
            {
                var sum = 0.0;
                for (var n = 0; n < p.N; n++)
                {
                    sum += System.Numerics.Tensors.TensorPrimitives.Sum(dyd.AsSpan(((n * p.M) + m) * spatial, spatial));
                }

                dbd[m] = (float)sum;
            }
        }
    }

    /// <summary>The forward convolution that computes a stride-1 convolution's input gradient, or null when the
    /// convolution is strided or a pad exceeds the kernel's reach (the padding would be negative).</summary>
    internal static ConvParams? TransposedConv(ConvParams p)
    {
        var w = p.Window;
        if (w.StrideH != 1 || w.StrideW != 1)
        {
            return null;
        }

        int reachH = (w.KernelH - 1) * w.DilationH, reachW = (w.KernelW - 1) * w.DilationW;
        int top = reachH - w.PadTop, left = reachW - w.PadLeft, bottom = reachH - w.PadBottom, right = reachW - w.PadRight;
        if (top < 0 || left < 0 || bottom < 0 || right < 0)
        {
            return null;
        }

        var window = new Window2D(w.KernelH, w.KernelW, 1, 1, top, left, bottom, right, w.DilationH, w.DilationW);
        return new ConvParams(p.N, p.M, p.OutH, p.OutW, p.C, p.Groups, window, p.H, p.W);
    }

    /// <summary>w'[g·Cg + c, m, i, j] = w[g·Mg + m, c, KH−1−i, KW−1−j]: kept per constant tensor (so the forward's
    /// packed forms of it are kept too), rebuilt into scratch for weights being trained.</summary>
    private CpuTensor FlippedWeights(CpuTensor w, ConvParams p)
    {
        if (w.IsConstant && _flippedWeights.TryGetValue(w, out var kept))
        {
            return kept;
        }

        var win = p.Window;
        int cg = p.GroupInputs, mg = p.GroupOutputs, taps = win.KernelH * win.KernelW;
        var length = p.M * cg * taps;
        float[] flipped;
        if (w.IsConstant)
        {
            flipped = new float[length];
        }
        else
        {
            ScratchArrays.Grow(ref _flipped, length);
            flipped = _flipped;
        }

        var wd = w.Data;
        for (var g = 0; g < p.Groups; g++)
        {
            for (var m = 0; m < mg; m++)
            {
                for (var c = 0; c < cg; c++)
                {
                    var src = (((g * mg) + m) * cg + c) * taps;
                    var dst = (((g * cg) + c) * mg + m) * taps;
                    for (var t = 0; t < taps; t++)
                    {
                        flipped[dst + t] = wd[src + taps - 1 - t];
                    }
                }
            }
        }

        var tensor = new CpuTensor(new Tensors.TensorShape(p.C, mg, win.KernelH, win.KernelW), flipped) { IsConstant = w.IsConstant };
        if (w.IsConstant)
        {
            _flippedWeights.AddOrUpdate(w, tensor);
        }

        return tensor;
    }

    /// <summary>Adds one input channel's column rows (KH·KW of them, from <paramref name="row0"/>) into its plane, which it zeroes first.</summary>
    private static void Col2Im(float[] dx, int planeBase, float[] columns, int row0, ConvParams p)
    {
        var win = p.Window;
        var spatial = p.OutH * p.OutW;
        Array.Clear(dx, planeBase, p.H * p.W);
        for (var i = 0; i < win.KernelH; i++)
        {
            for (var j = 0; j < win.KernelW; j++)
            {
                var row = (row0 + (i * win.KernelW) + j) * spatial;
                for (var oy = 0; oy < p.OutH; oy++)
                {
                    var iy = (oy * win.StrideH) - win.PadTop + (i * win.DilationH);
                    if (iy < 0 || iy >= p.H)
                    {
                        continue;
                    }

                    var dst = planeBase + (iy * p.W);
                    var src = row + (oy * p.OutW);
                    var ix0 = (j * win.DilationW) - win.PadLeft;
                    for (var ox = 0; ox < p.OutW; ox++)
                    {
                        var ix = (ox * win.StrideW) + ix0;
                        if ((uint)ix < (uint)p.W)
                        {
                            dx[dst + ix] += columns[src + ox];
                        }
                    }
                }
            }
        }
    }

    /// <summary>Writes the transposed im2col rows of output row <paramref name="oy"/>: colᵀ[(oy,ox), (c,i,j)].</summary>
    private static void Im2ColRows(float[] columns, float[] x, int xBase, int oy, int kk, ConvParams p)
    {
        var win = p.Window;
        var cg = p.GroupInputs;
        for (var ox = 0; ox < p.OutW; ox++)
        {
            var dst = ((oy * p.OutW) + ox) * kk;
            for (var c = 0; c < cg; c++)
            {
                for (var i = 0; i < win.KernelH; i++)
                {
                    var iy = (oy * win.StrideH) - win.PadTop + (i * win.DilationH);
                    for (var j = 0; j < win.KernelW; j++)
                    {
                        var ix = (ox * win.StrideW) - win.PadLeft + (j * win.DilationW);
                        columns[dst++] = (uint)iy < (uint)p.H && (uint)ix < (uint)p.W ? x[xBase + (((c * p.H) + iy) * p.W) + ix] : 0f;
                    }
                }
            }
        }
    }

    /// <summary>Each group's weights (Mg, KK) transposed to (KK, Mg): kept per constant tensor, into scratch otherwise.</summary>
    private float[] TransposedWeights(CpuTensor w, int groups, int mg, int kk)
    {
        if (w.IsConstant && _transposedWeights.TryGetValue(w, out var kept))
        {
            return kept;
        }

        float[] t;
        if (w.IsConstant)
        {
            t = new float[groups * mg * kk];
        }
        else
        {
            ScratchArrays.Grow(ref _weightsT, (long)groups * mg * kk);
            t = _weightsT;
        }

        var wd = w.Data;
        for (var g = 0; g < groups; g++)
        {
            var at = g * mg * kk;
            for (var m = 0; m < mg; m++)
            {
                for (var k = 0; k < kk; k++)
                {
                    t[at + (k * mg) + m] = wd[at + (m * kk) + k];
                }
            }
        }

        if (w.IsConstant)
        {
            _transposedWeights.AddOrUpdate(w, t);
        }

        return t;
    }
}
