// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

internal static partial class ReferenceOps
{
    public static float[] Conv(float[] x, float[] w, float[]? b, ConvParams p)
    {
        var win = p.Window;
        var y = new float[p.N * p.M * p.OutH * p.OutW];
        int cg = p.C / p.Groups, mg = p.M / p.Groups;
        for (var n = 0; n < p.N; n++)
        for (var m = 0; m < p.M; m++)
        for (var oy = 0; oy < p.OutH; oy++)
        for (var ox = 0; ox < p.OutW; ox++)
        {
            var g = m / mg;
            double sum = b?[m] ?? 0;
            for (var c = 0; c < cg; c++)
            for (var i = 0; i < win.KernelH; i++)
            for (var j = 0; j < win.KernelW; j++)
            {
                var iy = (oy * win.StrideH) - win.PadTop + (i * win.DilationH);
                var ix = (ox * win.StrideW) - win.PadLeft + (j * win.DilationW);
                if (iy >= 0 && iy < p.H && ix >= 0 && ix < p.W)
                {
                    sum += (double)x[(((n * p.C) + (g * cg) + c) * p.H + iy) * p.W + ix] * w[(((m * cg) + c) * win.KernelH + i) * win.KernelW + j];
                }
            }

            y[(((n * p.M) + m) * p.OutH + oy) * p.OutW + ox] = p.Relu ? (float)Math.Max(0, sum) : (float)sum;
        }

        return y;
    }
}
