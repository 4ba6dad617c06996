// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU.Algorithms;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

internal readonly record struct DirectConvArgs(int C, int H, int W, int M, int CG, int MG, int KH, int KW, int SH, int SW, int PT, int PL, int DH, int DW, int OH, int OW, int HasBias, int Relu = 0, int HasResidual = 0);

/// <summary>Convolution kernels: a direct kernel for few-output layers (the others run as an implicit GEMM, <see cref="ConvColumns"/>).</summary>
internal static partial class ConvKernels
{
    /// <summary>Direct convolution, one output per thread (few outputs per group, small kernels: the lecture's
    /// single-channel filters and depthwise layers, where a GEMM's 64×64 blocks would be mostly idle).</summary>
    public static void DirectConv(Index1D i, ArrayView<float> x, ArrayView<float> w, ArrayView<float> b, ArrayView<float> r, ArrayView<float> y, DirectConvArgs p, int stride)
    {
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            var ox = e % p.OW;
            var rest = e / p.OW;
            var oy = rest % p.OH;
            rest /= p.OH;
            var m = rest % p.M;
            var n = rest / p.M;
            var g = m / p.MG;
            var sum = p.HasBias != 0 ? b[m] : 0f;
            for (var c = 0; c < p.CG; c++)
            {
                var plane = ((n * p.C) + (g * p.CG) + c) * p.H;
                var wBase = ((m * p.CG) + c) * p.KH * p.KW;
                for (var ky = 0; ky < p.KH; ky++)
                {
                    var iy = (oy * p.SH) - p.PT + (ky * p.DH);
                    if (iy < 0 || iy >= p.H)
                    {
                        continue;
                    }

                    for (var kx = 0; kx < p.KW; kx++)
                    {
                        var ix = (ox * p.SW) - p.PL + (kx * p.DW);
                        if (ix >= 0 && ix < p.W)
                        {
                            sum += w[wBase + (ky * p.KW) + kx] * x[((plane + iy) * p.W) + ix];
                        }
                    }
                }
            }

            if (p.HasResidual != 0)
            {
                sum += r[e];
            }

            y[e] = p.Relu != 0 && sum < 0f ? 0f : sum;
        }
    }
}
