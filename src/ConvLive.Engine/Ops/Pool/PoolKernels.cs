// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU.Algorithms;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

internal readonly record struct PoolArgs(int Kind, int H, int W, int KH, int KW, int SH, int SW, int PT, int PL, int PB, int PR, int DH, int DW, int OH, int OW, int IncludePad);

/// <summary>Pooling kernels (grid-stride loops).</summary>
internal static partial class PoolKernels
{
    /// <summary>One output per thread: max, average or L2 over the window.</summary>
    public static void Pool(Index1D i, ArrayView<float> x, ArrayView<float> y, PoolArgs p, int stride)
    {
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            var plane = e / (p.OH * p.OW);
            var s = e - (plane * p.OH * p.OW);
            var oy = s / p.OW;
            var ox = s - (oy * p.OW);
            var y0 = (oy * p.SH) - p.PT;
            var x0 = (ox * p.SW) - p.PL;
            var max = float.NegativeInfinity;
            var sum = 0f;
            var count = 0;
            for (var ki = 0; ki < p.KH; ki++)
            {
                var iy = y0 + (ki * p.DH);
                for (var kj = 0; kj < p.KW; kj++)
                {
                    var ix = x0 + (kj * p.DW);
                    if (iy >= 0 && iy < p.H && ix >= 0 && ix < p.W)
                    {
                        var v = x[(((plane * p.H) + iy) * p.W) + ix];
                        max = XMath.Max(max, v);
                        sum += p.Kind == 2 ? v * v : v;
                        count++;
                    }
                }
            }

            float result;
            if (p.Kind == 0)
            {
                result = max;
            }
            else if (p.Kind == 2)
            {
                result = XMath.Sqrt(sum);
            }
            else if (p.IncludePad != 0)
            {
                var y1 = XMath.Min(y0 + ((p.KH - 1) * p.DH) + 1, p.H + p.PB);
                var x1 = XMath.Min(x0 + ((p.KW - 1) * p.DW) + 1, p.W + p.PR);
                result = sum / ((((y1 - y0 - 1) / p.DH) + 1) * (((x1 - x0 - 1) / p.DW) + 1));
            }
            else
            {
                result = sum / XMath.Max(count, 1);
            }

            y[e] = result;
        }
    }
}
