// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Max, average and L2 pooling; one (image, channel) plane per work item.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Pool(DeviceTensor y, DeviceTensor x, PoolParams p)
    {
        _pool.Set(Cast(y).Data, Cast(x).Data, p);
        _workers.For(p.N * p.C, _pool);
    }

    /// <summary>One (image, channel) plane per work item; kept by the backend so a frame allocates nothing.</summary>
    private sealed class PoolJob : IWorkItem
    {
        private float[] _y = [];
        private float[] _x = [];
        private PoolParams _p;

        public void Set(float[] y, float[] x, PoolParams p) => (_y, _x, _p) = (y, x, p);

        public void Run(int plane)
        {
            var w = _p.Window;
            if (_p.Kind == PoolKind.Max && w.DilationH == 1 && w.DilationW == 1 && _p.W <= MaxRowForSeparable)
            {
                MaxPlaneSeparable(_y.AsSpan(plane * _p.OutH * _p.OutW, _p.OutH * _p.OutW), _x.AsSpan(plane * _p.H * _p.W, _p.H * _p.W), _p);
            }
            else
            {
                PoolPlane(_y, plane * _p.OutH * _p.OutW, _x, plane * _p.H * _p.W, _p);
            }
        }
    }

    private const int MaxRowForSeparable = 2048;

    /// <summary>
    /// Max pooling in two passes per output row: the window's rows reduced to one row with vector maxima, then
    /// each output the maximum of its columns of that row. Windows clipped to the input (padding never wins);
    /// NaN propagates as in the reference (Vector256.Max and MathF.Max are IEEE maximum).
    /// </summary>
    private static void MaxPlaneSeparable(Span<float> y, ReadOnlySpan<float> x, PoolParams p)
    {
        var w = p.Window;
        Span<float> rowMax = stackalloc float[p.W];
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

            x.Slice(iy0 * p.W, p.W).CopyTo(rowMax);
            for (var iy = iy0 + 1; iy < iy1; iy++)
            {
                System.Numerics.Tensors.TensorPrimitives.Max(rowMax, x.Slice(iy * p.W, p.W), rowMax);
            }

            for (var ox = 0; ox < p.OutW; ox++)
            {
                var ix0 = Math.Max(0, (ox * w.StrideW) - w.PadLeft);
                var ix1 = Math.Min(p.W, (ox * w.StrideW) - w.PadLeft + w.KernelW);
                var max = float.NegativeInfinity;
                for (var ix = ix0; ix < ix1; ix++)
                {
                    max = MathF.Max(max, rowMax[ix]);
                }

                output[ox] = max;
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
