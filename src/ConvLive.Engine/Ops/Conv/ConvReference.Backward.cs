// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

/// <summary>Conv's backward, naive: every forward multiply-add scattered back in double.</summary>
internal static partial class ReferenceOps
{
    /// <summary>dx, dw and db of y = conv(x, w) + b for the output gradient dy; <see cref="ConvParams.Relu"/> is ignored.</summary>
    public static (float[] Dx, float[] Dw, float[] Db) ConvBackward(float[] dy, float[] x, float[] w, ConvParams p)
    {
        var win = p.Window;
        int cg = p.C / p.Groups, mg = p.M / p.Groups;
        var dx = new double[x.Length];
        var dw = new double[w.Length];
        var db = new double[p.M];
        for (var n = 0; n < p.N; n++)
        for (var m = 0; m < p.M; m++)
        for (var oy = 0; oy < p.OutH; oy++)
        for (var ox = 0; ox < p.OutW; ox++)
        {
            var g = m / mg;
            double d = dy[(((n * p.M) + m) * p.OutH + oy) * p.OutW + ox];
            db[m] += d;
            for (var c = 0; c < cg; c++)
            for (var i = 0; i < win.KernelH; i++)
            for (var j = 0; j < win.KernelW; j++)
            {
                var iy = (oy * win.StrideH) - win.PadTop + (i * win.DilationH);
                var ix = (ox * win.StrideW) - win.PadLeft + (j * win.DilationW);
                if (iy >= 0 && iy < p.H && ix >= 0 && ix < p.W)
                {
                    var xi = (((n * p.C) + (g * cg) + c) * p.H + iy) * p.W + ix;
                    var wi = (((m * cg) + c) * win.KernelH + i) * win.KernelW + j;
                    dx[xi] += d * w[wi];
                    dw[wi] += d * x[xi];
                }
            }
        }

        return (ToFloat(dx), ToFloat(dw), ToFloat(db));
    }

    private static float[] ToFloat(double[] v) => v.Select(d => (float)d).ToArray();
}
