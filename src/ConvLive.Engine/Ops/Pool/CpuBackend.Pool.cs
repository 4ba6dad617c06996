// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Numerics.Tensors;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Max, average and L2 pooling; one (image, channel) plane per work item.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Pool(DeviceTensor y, DeviceTensor x, PoolParams p)
    {
        _pool.Set(Cast(y).Data, Cast(x).Data, p, MaxPoolRows.Lanes(Options.WideTiles));
        _workers.For(p.N * p.C, _pool);
    }

    /// <summary>One (image, channel) plane per work item; kept by the backend so a frame allocates nothing.</summary>
    private sealed class PoolJob : IWorkItem
    {
        private float[] _y = [];
        private float[] _x = [];
        private PoolParams _p;
        private int _lanes;

        public void Set(float[] y, float[] x, PoolParams p, int lanes) => (_y, _x, _p, _lanes) = (y, x, p, lanes);

        public void Run(int plane)
        {
            if (IsSeparableMax(_p))
            {
                MaxPlaneSeparable(_y.AsSpan(plane * _p.OutH * _p.OutW, _p.OutH * _p.OutW), _x.AsSpan(plane * _p.H * _p.W, _p.H * _p.W), _p, _lanes);
            }
            else
            {
                PoolPlane(_y, plane * _p.OutH * _p.OutW, _x, plane * _p.H * _p.W, _p);
            }
        }
    }

    // Rows this long at most take the vector path: its two row buffers live on the stack (about 32 KB at most).
    private const int MaxRowForSeparable = 4096;

    private static bool IsSeparableMax(PoolParams p)
    {
        var w = p.Window;
        return p.Kind == PoolKind.Max && w.DilationH == 1 && w.DilationW == 1 && w.PadLeft < w.KernelW && p.W <= MaxRowForSeparable
            && ((long)(p.OutW - 1) * w.StrideW) + w.KernelW <= MaxRowForSeparable;
    }

    /// <summary>
    /// Max pooling in vector passes per output row: the window's rows reduced to one row
    /// (<see cref="MaxPoolRows.Reduce"/>), laid into a row padded with −∞ on both sides; at stride 2 with
    /// <paramref name="lanes"/> set, <see cref="MaxPoolRows.PickStride2"/> takes it to the outputs in one pass;
    /// otherwise its sliding maximum over the window's width at every column (KernelW − 1 vector maxima), then every
    /// StrideW-th of those is an output. Padding never wins over a real value (−∞), and a window wholly in padding
    /// gives −∞, as in the reference; NaN propagates as there (Vector256.Max and TensorPrimitives.Max are the IEEE
    /// maximum that returns NaN, like MathF.Max).
    /// </summary>
    private static void MaxPlaneSeparable(Span<float> y, ReadOnlySpan<float> x, PoolParams p, int lanes)
    {
        var w = p.Window;

        // padded[i] is column i − PadLeft of the reduced row; the windows cover padded[0, span).
        var span = ((p.OutW - 1) * w.StrideW) + w.KernelW;
        var slides = span - w.KernelW + 1;
        var copyEnd = Math.Min(p.W, span - w.PadLeft); // columns past the last window are never read
        var split = w.StrideW == 2 && lanes > 0;
        Span<float> padded = stackalloc float[span + MaxPoolRows.Slack];
        Span<float> sliding = stackalloc float[split ? 0 : slides];
        padded[..Math.Min(w.PadLeft, span)].Fill(float.NegativeInfinity);
        padded[Math.Min(w.PadLeft + copyEnd, span)..].Fill(float.NegativeInfinity);

        var rowMax = padded.Slice(w.PadLeft, Math.Max(copyEnd, 0));
        for (var oy = 0; oy < p.OutH; oy++)
        {
            var iy0 = Math.Max(0, (oy * w.StrideH) - w.PadTop);
            var iy1 = Math.Min(p.H, (oy * w.StrideH) - w.PadTop + w.KernelH);
            var output = y.Slice(oy * p.OutW, p.OutW);
            if (iy0 >= iy1)
            {
                output.Fill(float.NegativeInfinity);
                continue;
            }

            MaxPoolRows.Reduce(rowMax, x, iy0, iy1 - iy0, p.W);

            if (split)
            {
                MaxPoolRows.PickStride2(output, padded, w.KernelW, lanes);
                continue;
            }

            padded[..slides].CopyTo(sliding);
            for (var j = 1; j < w.KernelW; j++)
            {
                TensorPrimitives.Max(sliding, padded.Slice(j, slides), sliding);
            }

            if (w.StrideW == 1)
            {
                sliding.CopyTo(output);
                continue;
            }

            for (int ox = 0, i = 0; ox < output.Length; ox++, i += w.StrideW)
            {
                output[ox] = sliding[i];
            }
        }
    }

    private static void PoolPlane(float[] y, int yOffset, float[] x, int xOffset, PoolParams p)
    {
        var w = p.Window;
        for (var oy = 0; oy < p.OutH; oy++)
        {
            var y0 = (oy * w.StrideH) - w.PadTop;
            for (var ox = 0; ox < p.OutW; ox++)
            {
                var x0 = (ox * w.StrideW) - w.PadLeft;
                float max = float.NegativeInfinity, sum = 0f;
                var count = 0;
                for (var i = 0; i < w.KernelH; i++)
                {
                    var iy = y0 + (i * w.DilationH);
                    if (iy < 0 || iy >= p.H)
                    {
                        continue;
                    }

                    var row = xOffset + (iy * p.W);
                    for (var j = 0; j < w.KernelW; j++)
                    {
                        var ix = x0 + (j * w.DilationW);
                        if (ix < 0 || ix >= p.W)
                        {
                            continue;
                        }

                        var v = x[row + ix];
                        max = MathF.Max(max, v);
                        sum += p.Kind == PoolKind.L2 ? v * v : v;
                        count++;
                    }
                }

                y[yOffset + (oy * p.OutW) + ox] = p.Kind switch
                {
                    PoolKind.Max => max,
                    PoolKind.L2 => MathF.Sqrt(sum),
                    _ => sum / (p.CountIncludePad ? PaddedWindowSize(oy, ox, p) : Math.Max(count, 1)),
                };
            }
        }
    }

    /// <summary>The window's size clipped to the padded input (count_include_pad), as ONNX and PyTorch count it.</summary>
    internal static int PaddedWindowSize(int oy, int ox, PoolParams p)
    {
        var w = p.Window;
        var y0 = (oy * w.StrideH) - w.PadTop;
        var x0 = (ox * w.StrideW) - w.PadLeft;
        var y1 = Math.Min(y0 + ((w.KernelH - 1) * w.DilationH) + 1, p.H + w.PadBottom);
        var x1 = Math.Min(x0 + ((w.KernelW - 1) * w.DilationW) + 1, p.W + w.PadRight);
        return (((y1 - y0 - 1) / w.DilationH) + 1) * (((x1 - x0 - 1) / w.DilationW) + 1);
    }
}
