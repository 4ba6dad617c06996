// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Pooling's backward on the CPU: one (n, c) plane a work item, each output's gradient scattered into its window.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void PoolBackward(DeviceTensor dx, DeviceTensor dy, DeviceTensor x, DeviceTensor y, PoolParams p)
    {
        float[] dxd = Cast(dx).Data, dyd = Cast(dy).Data, xd = Cast(x).Data, yd = Cast(y).Data;
        _workers.For(p.N * p.C, plane => PoolBackwardPlane(dxd, dyd, xd, yd, plane, p));
    }

    private static void PoolBackwardPlane(float[] dx, float[] dy, float[] x, float[] y, int plane, PoolParams p)
    {
        var w = p.Window;
        int xBase = plane * p.H * p.W, yBase = plane * p.OutH * p.OutW;
        Array.Clear(dx, xBase, p.H * p.W);
        for (var oy = 0; oy < p.OutH; oy++)
        {
            for (var ox = 0; ox < p.OutW; ox++)
            {
                var at = yBase + (oy * p.OutW) + ox;
                var g = dy[at];
                int y0 = (oy * w.StrideH) - w.PadTop, x0 = (ox * w.StrideW) - w.PadLeft;
                if (p.Kind == PoolKind.Max)
                {
                    var best = -1;
                    for (var i = 0; i < w.KernelH; i++)
                    {
                        var iy = y0 + (i * w.DilationH);
                        for (var j = 0; j < w.KernelW; j++)
                        {
                            var ix = x0 + (j * w.DilationW);
                            if ((uint)iy < (uint)p.H && (uint)ix < (uint)p.W && (best < 0 || x[xBase + (iy * p.W) + ix] > x[best]))
                            {
                                best = xBase + (iy * p.W) + ix;
                            }
                        }
                    }

                    if (best >= 0)
                    {
                        dx[best] += g;
                    }

                    continue;
                }

                var factor = p.Kind == PoolKind.L2 ? (y[at] > 0f ? g / y[at] : 0f) : g / AverageDivisor(p, y0, x0);
                for (var i = 0; i < w.KernelH; i++)
                {
                    var iy = y0 + (i * w.DilationH);
                    for (var j = 0; j < w.KernelW; j++)
                    {
                        var ix = x0 + (j * w.DilationW);
                        if ((uint)iy < (uint)p.H && (uint)ix < (uint)p.W)
                        {
                            var xi = xBase + (iy * p.W) + ix;
                            dx[xi] += p.Kind == PoolKind.L2 ? factor * x[xi] : factor;
                        }
                    }
                }
            }
        }
    }

    /// <summary>The forward's divisor for the window at (y0, x0): taps inside the padded input with
    /// count_include_pad, else taps inside the input.</summary>
    private static int AverageDivisor(PoolParams p, int y0, int x0)
    {
        var w = p.Window;
        var count = 0;
        for (var i = 0; i < w.KernelH; i++)
        {
            var iy = y0 + (i * w.DilationH);
            for (var j = 0; j < w.KernelW; j++)
            {
                var ix = x0 + (j * w.DilationW);
                count += p.CountIncludePad
                    ? (iy < p.H + w.PadBottom && ix < p.W + w.PadRight ? 1 : 0)
                    : ((uint)iy < (uint)p.H && (uint)ix < (uint)p.W ? 1 : 0);
            }
        }

        return Math.Max(count, 1);
    }
}
