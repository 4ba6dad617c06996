// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops;

/// <summary>Finite-difference checks: the gradient of Σ dy·f(x) by central differences, in double.</summary>
internal static class GradientCheck
{
    /// <summary>g_i = Σ_o dy_o·(f(x + h·e_i)_o − f(x − h·e_i)_o) / (2h), h the step actually taken in float.</summary>
    public static float[] Numeric(Func<float[], float[]> f, float[] x, float[] dy, float step)
    {
        var g = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var up = (float[])x.Clone();
            var down = (float[])x.Clone();
            up[i] += step;
            down[i] -= step;
            float[] fu = f(up), fd = f(down);
            var sum = 0.0;
            for (var o = 0; o < dy.Length; o++)
            {
                sum += dy[o] * ((double)fu[o] - fd[o]);
            }

            g[i] = (float)(sum / ((double)up[i] - down[i]));
        }

        return g;
    }

    /// <summary>Asserts an analytic gradient against central differences, tolerances scaled by the largest |g|.</summary>
    public static void AssertMatchesFiniteDifferences(float[] analytic, Func<float[], float[]> f, float[] x, float[] dy, string what, float step = 1e-2f, double rtol = 1e-2)
    {
        var numeric = Numeric(f, x, dy, step);
        var scale = Math.Max(1e-3, numeric.Max(v => Math.Abs((double)v)));
        Numerics.AssertClose(numeric, analytic, 2e-3 * scale, rtol, $"{what} vs finite differences");
    }

    /// <summary>Random values at least <paramref name="gap"/> apart from each other (no ties, no kinks inside a step).</summary>
    public static float[] Distinct(int length, int seed, float gap = 0.05f)
    {
        var order = Enumerable.Range(0, length).ToArray();
        new Random(seed).Shuffle(order);
        return order.Select(v => (v - (length / 2f)) * gap).ToArray();
    }
}
