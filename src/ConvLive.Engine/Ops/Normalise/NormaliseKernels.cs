// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU.Algorithms;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>LRN and inference BatchNormalization kernels (grid-stride loops).</summary>
internal static partial class NormaliseKernels
{
    /// <summary>Inference batch norm: y = x·k[c] + d[c] with k, d folded from scale, bias, mean and variance.</summary>
    public static void BatchNorm(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> scale, ArrayView<float> bias, ArrayView<float> mean, ArrayView<float> variance, int spatial, int channels, float epsilon, int stride)
    {
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            var c = (e / spatial) % channels;
            var k = scale[c] / XMath.Sqrt(variance[c] + epsilon);
            y[e] = ((x[e] - mean[c]) * k) + bias[c];
        }
    }

    /// <summary>LRN across channels, one output per thread.</summary>
    public static void Lrn(Index1D i, ArrayView<float> x, ArrayView<float> y, int channels, int spatial, int size, float alpha, float beta, float bias, int stride)
    {
        var before = (size - 1) / 2;
        var after = size - 1 - before;
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            var s = e % spatial;
            var c = (e / spatial) % channels;
            var n = e / (spatial * channels);
            var sum = 0f;
            for (var k = XMath.Max(0, c - before); k <= XMath.Min(channels - 1, c + after); k++)
            {
                var v = x[(((n * channels) + k) * spatial) + s];
                sum += v * v;
            }

            y[e] = x[e] / XMath.Pow(bias + (alpha / size * sum), beta);
        }
    }
}
