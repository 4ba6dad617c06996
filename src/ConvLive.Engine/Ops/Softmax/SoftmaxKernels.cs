// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU.Algorithms;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Softmax kernels (grid-stride loops).</summary>
internal static partial class SoftmaxKernels
{
    /// <summary>Softmax or log-softmax; one thread per (outer, inner) line along the axis.</summary>
    public static void Softmax(Index1D i, ArrayView<float> x, ArrayView<float> y, int outer, int axis, int inner, int log, int stride)
    {
        for (var line = (int)i; line < outer * inner; line += stride)
        {
            var o = line / inner;
            var baseIndex = (o * axis * inner) + (line - (o * inner));
            var max = float.NegativeInfinity;
            for (var a = 0; a < axis; a++)
            {
                max = XMath.Max(max, x[baseIndex + (a * inner)]);
            }

            var sum = 0f;
            for (var a = 0; a < axis; a++)
            {
                sum += XMath.Exp(x[baseIndex + (a * inner)] - max);
            }

            var logSum = XMath.Log(sum);
            for (var a = 0; a < axis; a++)
            {
                var shifted = x[baseIndex + (a * inner)] - max;
                y[baseIndex + (a * inner)] = log != 0 ? shifted - logSum : XMath.Exp(shifted) / sum;
            }
        }
    }
}
