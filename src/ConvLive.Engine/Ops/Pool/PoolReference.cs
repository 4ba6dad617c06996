// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

internal static partial class ReferenceOps
{
    public static float[] Pool(float[] x, PoolParams p)
    {
        var w = p.Window;
        var y = new float[p.N * p.C * p.OutH * p.OutW];
        for (var plane = 0; plane < p.N * p.C; plane++)
        for (var oy = 0; oy < p.OutH; oy++)
        for (var ox = 0; ox < p.OutW; ox++)
        {
            double max = double.NegativeInfinity, sum = 0;
            int valid = 0, padded = 0;
            for (var i = 0; i < w.KernelH; i++)
            for (var j = 0; j < w.KernelW; j++)
            {
                var iy = (oy * w.StrideH) - w.PadTop + (i * w.DilationH);
                var ix = (ox * w.StrideW) - w.PadLeft + (j * w.DilationW);
                if (iy < p.H + w.PadBottom && ix < p.W + w.PadRight)
                {
                    padded++; // inside the padded input: counted by count_include_pad
                }

                if (iy >= 0 && iy < p.H && ix >= 0 && ix < p.W)
                {
                    double v = x[((plane * p.H) + iy) * p.W + ix];
                    max = Math.Max(max, v);
                    sum += p.Kind == PoolKind.L2 ? v * v : v;
                    valid++;
                }
            }

            y[((plane * p.OutH) + oy) * p.OutW + ox] = (float)(p.Kind switch
            {
                PoolKind.Max => max,
                PoolKind.L2 => Math.Sqrt(sum),
                _ => sum / (p.CountIncludePad ? padded : valid),
            });
        }

        return y;
    }
}
