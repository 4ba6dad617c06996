// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

internal static partial class ReferenceOps
{
    public static float[] Lrn(float[] x, LrnParams p)
    {
        var y = new float[x.Length];
        for (var n = 0; n < p.N; n++)
        for (var c = 0; c < p.C; c++)
        for (var s = 0; s < p.Spatial; s++)
        {
            double sum = 0;
            for (var k = c - ((p.Size - 1) / 2); k <= c + (p.Size / 2); k++)
            {
                if (k >= 0 && k < p.C)
                {
                    double v = x[((n * p.C) + k) * p.Spatial + s];
                    sum += v * v;
                }
            }

            var i = ((n * p.C) + c) * p.Spatial + s;
            y[i] = (float)(x[i] / Math.Pow(p.Bias + (p.Alpha / p.Size * sum), p.Beta));
        }

        return y;
    }

    public static float[] BatchNorm(float[] x, int n, int c, int spatial, float[] scale, float[] bias, float[] mean, float[] variance, float eps)
    {
        var y = new float[x.Length];
        for (var i = 0; i < n; i++)
        for (var ch = 0; ch < c; ch++)
        for (var s = 0; s < spatial; s++)
        {
            var at = ((i * c) + ch) * spatial + s;
            y[at] = (float)((scale[ch] * (x[at] - (double)mean[ch]) / Math.Sqrt(variance[ch] + (double)eps)) + bias[ch]);
        }

        return y;
    }
}
