// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU.Algorithms;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

internal static partial class ActivationKernels
{
    /// <summary>dx = dy·f′(y): Relu (0), LeakyRelu (1), Tanh (2), Sigmoid (3); Relu under the guided rule (4: y and dy
    /// positive) or the deconvnet rule (8: dy positive).</summary>
    public static void ActivationBackward(Index1D i, ArrayView<float> dy, ArrayView<float> y, ArrayView<float> dx, int kind, float alpha, int stride)
    {
        for (var e = (int)i; e < dx.IntLength; e += stride)
        {
            var o = y[e];
            var d = kind == 4 ? (o > 0f && dy[e] > 0f ? 1f : 0f)
                : kind == 8 ? (dy[e] > 0f ? 1f : 0f)
                : kind == 0 ? (o > 0f ? 1f : 0f)
                : kind == 1 ? (o >= 0f ? 1f : alpha)
                : kind == 2 ? 1f - (o * o)
                : o * (1f - o);
            dx[e] = dy[e] * d;
        }
    }
}
