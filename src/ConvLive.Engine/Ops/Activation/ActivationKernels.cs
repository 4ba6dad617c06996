// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU.Algorithms;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Activation kernels (grid-stride loops).</summary>
internal static partial class ActivationKernels
{
    /// <summary>Relu (0), LeakyRelu (1), Tanh (2), Sigmoid (3).</summary>
    public static void Activation(Index1D i, ArrayView<float> x, ArrayView<float> y, int kind, float alpha, int stride)
    {
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            var v = x[e];
            y[e] = kind == 0 ? XMath.Max(v, 0f)
                : kind == 1 ? (v >= 0f ? v : alpha * v)
                : kind == 2 ? XMath.Tanh(v)
                : 1f / (1f + XMath.Exp(-v));
        }
    }
}
