// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

/// <summary>LRN's and inference BatchNormalization's backward, naive, in double.</summary>
internal static partial class ReferenceOps
{
    /// <summary>dx of y = x·d^−β, d = bias + α/size·Σ x² over the channel window: every (output, input) pair of a
    /// window differentiated on its own.</summary>
    public static float[] LrnBackward(float[] dy, float[] x, LrnParams p)
    {
        var dx = new double[x.Length];
        int before = (p.Size - 1) / 2, after = p.Size / 2;
        for (var n = 0; n < p.N; n++)
        for (var c = 0; c < p.C; c++)
        for (var s = 0; s < p.Spatial; s++)
        {
            double sum = 0;
            for (var k = Math.Max(0, c - before); k <= Math.Min(p.C - 1, c + after); k++)
            {
                double v = x[((n * p.C) + k) * p.Spatial + s];
                sum += v * v;
            }

            var at = ((n * p.C) + c) * p.Spatial + s;
            var d = p.Bias + (p.Alpha / p.Size * sum);
            double g = dy[at];
            dx[at] += g * Math.Pow(d, -p.Beta);

            // ∂y_c/∂x_k = −β·x_c·d^(−β−1)·(2α/size)·x_k for every k in c's window.
            var common = g * -p.Beta * x[at] * Math.Pow(d, -p.Beta - 1) * 2 * p.Alpha / p.Size;
            for (var k = Math.Max(0, c - before); k <= Math.Min(p.C - 1, c + after); k++)
            {
                var xk = ((n * p.C) + k) * p.Spatial + s;
                dx[xk] += common * x[xk];
            }
        }

        return ToFloat(dx);
    }

    /// <summary>dx, dScale and dBias of inference batch normalisation.</summary>
    public static (float[] Dx, float[] DScale, float[] DBias) BatchNormBackward(float[] dy, float[] x, int n, int c, int spatial, float[] scale, float[] mean, float[] variance, float eps)
    {
        var dx = new double[x.Length];
        double[] dScale = new double[c], dBias = new double[c];
        for (var i = 0; i < n; i++)
        for (var ch = 0; ch < c; ch++)
        for (var s = 0; s < spatial; s++)
        {
            var at = ((i * c) + ch) * spatial + s;
            var inv = 1 / Math.Sqrt(variance[ch] + (double)eps);
            dx[at] = dy[at] * scale[ch] * inv;
            dScale[ch] += dy[at] * (x[at] - (double)mean[ch]) * inv;
            dBias[ch] += dy[at];
        }

        return (ToFloat(dx), ToFloat(dScale), ToFloat(dBias));
    }
}
