// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Training;

namespace ConvLive.Engine.Tests.Training;

/// <summary>The sample map's principal axes against a direct eigen-decomposition of the covariance (Jacobi).</summary>
public sealed class SampleMapTests
{
    [Fact]
    public void TheAxesAreTheCovariancesTopEigenvectorsAndProjectionsAreCentred()
    {
        // 60 samples in 6 dimensions, stretched along two known directions.
        var random = new Random(4);
        const int D = 6;
        var samples = Enumerable.Range(0, 60).Select(_ =>
        {
            var a = (random.NextDouble() - 0.5) * 10;
            var b = (random.NextDouble() - 0.5) * 4;
            return Enumerable.Range(0, D).Select(i => (float)(3 + (a * (i % 2 == 0 ? 0.5 : 0)) + (b * (i < 2 ? 0.7 : 0)) + ((random.NextDouble() - 0.5) * 0.3))).ToArray();
        }).ToList();

        var map = SampleMap.Fit(samples);
        var (values, vectors) = Eigen(Covariance(samples));
        var order = Enumerable.Range(0, D).OrderByDescending(i => values[i]).ToArray();
        for (var k = 0; k < 2; k++)
        {
            var dot = Enumerable.Range(0, D).Sum(i => map.Axis(k)[i] * vectors[i, order[k]]);
            Assert.True(Math.Abs(Math.Abs(dot) - 1) < 1e-4, $"axis {k}: |cos| {Math.Abs(dot)}");
            Assert.Equal(values[order[k]] * 59 / 60, map.Variance[k], 3); // population vs sample variance
        }

        // The projections of the samples have mean zero and the variance along each axis.
        var points = samples.Select(s => map.Project(s)).ToList();
        Assert.Equal(0, points.Average(p => p.X), 3);
        Assert.Equal(map.Variance[0], points.Average(p => (double)p.X * p.X), 2);
        Assert.Throws<ArgumentException>(() => map.Project(new float[D + 1]));
        Assert.Throws<ArgumentException>(() => SampleMap.Fit([samples[0]]));
    }

    [Fact]
    public void SamplesOnALineGiveAFlatSecondAxis()
    {
        var samples = Enumerable.Range(0, 10).Select(i => new[] { i * 1f, i * 2f, 5f }).ToList();
        var map = SampleMap.Fit(samples);
        Assert.True(map.Variance[1] < 1e-6, $"{map.Variance[1]}");
        Assert.Equal(0, map.Project(samples[3]).Y, 3);
    }

    private static double[,] Covariance(List<float[]> samples)
    {
        var d = samples[0].Length;
        var mean = Enumerable.Range(0, d).Select(i => samples.Average(s => (double)s[i])).ToArray();
        var c = new double[d, d];
        foreach (var s in samples)
        {
            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    c[i, j] += (s[i] - mean[i]) * (s[j] - mean[j]) / (samples.Count - 1);
                }
            }
        }

        return c;
    }

    /// <summary>Cyclic Jacobi for a symmetric matrix: eigenvalues and eigenvectors (columns).</summary>
    private static (double[] Values, double[,] Vectors) Eigen(double[,] a)
    {
        var n = a.GetLength(0);
        var v = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            v[i, i] = 1;
        }

        for (var sweep = 0; sweep < 100; sweep++)
        {
            for (var p = 0; p < n; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    if (Math.Abs(a[p, q]) < 1e-15)
                    {
                        continue;
                    }

                    var theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    var t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
                    t = theta == 0 ? 1 : t;
                    var c = 1 / Math.Sqrt((t * t) + 1);
                    var s = t * c;
                    for (var k = 0; k < n; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = (c * akp) - (s * akq);
                        a[k, q] = (s * akp) + (c * akq);
                    }

                    for (var k = 0; k < n; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = (c * apk) - (s * aqk);
                        a[q, k] = (s * apk) + (c * aqk);
                    }

                    for (var k = 0; k < n; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = (c * vkp) - (s * vkq);
                        v[k, q] = (s * vkp) + (c * vkq);
                    }
                }
            }
        }

        return (Enumerable.Range(0, n).Select(i => a[i, i]).ToArray(), v);
    }
}
