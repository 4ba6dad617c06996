// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Training;

/// <summary>
/// A 2-D map of feature vectors: their mean and first two principal axes (PCA), found by power iteration on the
/// centred samples without forming the covariance matrix (D can be 4096), so a frame's features can be placed among
/// the captured samples'. Deterministic: the iteration starts from a fixed vector.
/// </summary>
public sealed class SampleMap
{
    private const int Iterations = 100;
    private readonly float[] _mean;
    private readonly float[][] _axes;

    private SampleMap(float[] mean, float[][] axes, double[] variance)
    {
        _mean = mean;
        _axes = axes;
        Variance = variance;
    }

    /// <summary>Feature width.</summary>
    public int Dimensions => _mean.Length;

    /// <summary>Variance of the samples along each axis (largest first).</summary>
    public IReadOnlyList<double> Variance { get; }

    /// <summary>The axis <paramref name="k"/> (0 or 1), unit length.</summary>
    /// <param name="k">Which.</param>
    /// <returns>The axis.</returns>
    public ReadOnlySpan<float> Axis(int k) => _axes[k];

    /// <summary>Fits the map to <paramref name="samples"/>.</summary>
    /// <param name="samples">Two or more vectors of one width.</param>
    /// <returns>The map.</returns>
    /// <exception cref="ArgumentException">Fewer than two samples, or widths differ.</exception>
    public static SampleMap Fit(IReadOnlyList<float[]> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count < 2 || samples.Any(s => s.Length != samples[0].Length || s.Length == 0))
        {
            throw new ArgumentException("a map needs two or more feature vectors of one width", nameof(samples));
        }

        var d = samples[0].Length;
        var mean = new double[d];
        foreach (var s in samples)
        {
            for (var i = 0; i < d; i++)
            {
                mean[i] += s[i];
            }
        }

        for (var i = 0; i < d; i++)
        {
            mean[i] /= samples.Count;
        }

        var centred = samples.Select(s => s.Select((v, i) => v - mean[i]).ToArray()).ToArray();
        var axes = new float[2][];
        var variance = new double[2];
        for (var k = 0; k < 2; k++)
        {
            var v = Enumerable.Range(0, d).Select(i => 1.0 + (i % 7 * 0.1)).ToArray();
            Orthogonalise(v, axes, k);
            Normalise(v);
            for (var it = 0; it < Iterations; it++)
            {
                // v ← Xᵀ(Xv), then away from the axes already found.
                var next = new double[d];
                foreach (var x in centred)
                {
                    var dot = 0.0;
                    for (var i = 0; i < d; i++)
                    {
                        dot += x[i] * v[i];
                    }

                    for (var i = 0; i < d; i++)
                    {
                        next[i] += dot * x[i];
                    }
                }

                Orthogonalise(next, axes, k);
                if (Normalise(next) == 0)
                {
                    break; // the samples span fewer dimensions: this axis carries no variance
                }

                v = next;
            }

            axes[k] = v.Select(x => (float)x).ToArray();
            variance[k] = centred.Average(x => { var dot = 0.0; for (var i = 0; i < d; i++) { dot += x[i] * v[i]; } return dot * dot; });
        }

        return new SampleMap(mean.Select(m => (float)m).ToArray(), axes, variance);
    }

    /// <summary>Where <paramref name="features"/> falls on the map (its coordinates along the two axes).</summary>
    /// <param name="features">A vector of <see cref="Dimensions"/> values.</param>
    /// <returns>(x, y).</returns>
    public (float X, float Y) Project(ReadOnlySpan<float> features)
    {
        if (features.Length != _mean.Length)
        {
            throw new ArgumentException($"the map takes {_mean.Length} features, got {features.Length}", nameof(features));
        }

        float x = 0, y = 0;
        for (var i = 0; i < features.Length; i++)
        {
            var c = features[i] - _mean[i];
            x += c * _axes[0][i];
            y += c * _axes[1][i];
        }

        return (x, y);
    }

    private static void Orthogonalise(double[] v, float[][] axes, int found)
    {
        for (var j = 0; j < found; j++)
        {
            var dot = 0.0;
            for (var i = 0; i < v.Length; i++)
            {
                dot += v[i] * axes[j][i];
            }

            for (var i = 0; i < v.Length; i++)
            {
                v[i] -= dot * axes[j][i];
            }
        }
    }

    private static double Normalise(double[] v)
    {
        var norm = Math.Sqrt(v.Sum(x => x * x));
        if (norm < 1e-12)
        {
            return 0;
        }

        for (var i = 0; i < v.Length; i++)
        {
            v[i] /= norm;
        }

        return norm;
    }
}
