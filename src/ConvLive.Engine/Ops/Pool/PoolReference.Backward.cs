// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

/// <summary>Pooling's backward, naive, window by window as the forward reference walks them.</summary>
internal static partial class ReferenceOps
{
    /// <summary>dx of y = pool(x): max to the first maximum in row-major order, average over the forward's divisor,
    /// L2 as dy·x/y (0 where y = 0).</summary>
    public static float[] PoolBackward(float[] dy, float[] x, PoolParams p)
    {
        var w = p.Window;
        var dx = new double[x.Length];
        for (var plane = 0; plane < p.N * p.C; plane++)
        for (var oy = 0; oy < p.OutH; oy++)
        for (var ox = 0; ox < p.OutW; ox++)
        {
            var taps = new List<int>();
            var padded = 0;
            for (var i = 0; i < w.KernelH; i++)
            for (var j = 0; j < w.KernelW; j++)
            {
                var iy = (oy * w.StrideH) - w.PadTop + (i * w.DilationH);
                var ix = (ox * w.StrideW) - w.PadLeft + (j * w.DilationW);
                if (iy < p.H + w.PadBottom && ix < p.W + w.PadRight)
                {
                    padded++;
                }

                if (iy >= 0 && iy < p.H && ix >= 0 && ix < p.W)
                {
                    taps.Add(((plane * p.H) + iy) * p.W + ix);
                }
            }

            double d = dy[((plane * p.OutH) + oy) * p.OutW + ox];
            switch (p.Kind)
            {
                case PoolKind.Max:
                    var best = -1;
                    foreach (var t in taps)
                    {
                        if (best < 0 || x[t] > x[best])
                        {
                            best = t;
                        }
                    }

                    if (best >= 0)
                    {
                        dx[best] += d;
                    }

                    break;
                case PoolKind.L2:
                    var norm = Math.Sqrt(taps.Sum(t => (double)x[t] * x[t]));
                    foreach (var t in taps)
                    {
                        dx[t] += norm > 0 ? d * x[t] / norm : 0;
                    }

                    break;
                default:
                    var count = p.CountIncludePad ? padded : taps.Count;
                    foreach (var t in taps)
                    {
                        dx[t] += d / count;
                    }

                    break;
            }
        }

        return ToFloat(dx);
    }
}
