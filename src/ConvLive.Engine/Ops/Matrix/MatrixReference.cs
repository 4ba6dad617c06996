// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

internal static partial class ReferenceOps
{
    public static float[] Gemm(float[] a, float[] b, float[]? c, GemmParams p)
    {
        var y = new float[p.M * p.N];
        for (var i = 0; i < p.M; i++)
        for (var j = 0; j < p.N; j++)
        {
            double sum = 0;
            for (var k = 0; k < p.K; k++)
            {
                var av = p.TransA ? a[(k * p.M) + i] : a[(i * p.K) + k];
                var bv = p.TransB ? b[(j * p.K) + k] : b[(k * p.N) + j];
                sum += (double)av * bv;
            }

            double bias = c is null ? 0 : p.Bias switch
            {
                BiasLayout.Scalar => c[0],
                BiasLayout.Row => c[j],
                BiasLayout.Column => c[i],
                BiasLayout.Full => c[(i * p.N) + j],
                _ => 0,
            };
            y[(i * p.N) + j] = (float)((p.Alpha * sum) + (p.Beta * bias));
        }

        return y;
    }
}
