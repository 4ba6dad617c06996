// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU;
using ILGPU.Algorithms;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>The training kernels: activation gradients, softmax cross-entropy and optimizer updates (grid-stride).</summary>
internal static class IlgpuTrainingKernels
{
    /// <summary>One thread a row: loss[b] = −Σ t·log softmax, grad = scale·(softmax − t).</summary>
    public static void SoftmaxCrossEntropy(Index1D i, ArrayView<float> logits, ArrayView<float> target, ArrayView<float> grad, ArrayView<float> loss, int k, float scale, int stride)
    {
        for (var b = (int)i; b < loss.IntLength; b += stride)
        {
            var start = b * k;
            var max = float.NegativeInfinity;
            for (var j = 0; j < k; j++)
            {
                max = XMath.Max(max, logits[start + j]);
            }

            var sum = 0f;
            for (var j = 0; j < k; j++)
            {
                sum += XMath.Exp(logits[start + j] - max);
            }

            var logSum = max + XMath.Log(sum);
            var total = 0f;
            for (var j = 0; j < k; j++)
            {
                var logP = logits[start + j] - logSum;
                var t = target[start + j];
                total -= t * logP;
                grad[start + j] = scale * (XMath.Exp(logP) - t);
            }

            loss[b] = total;
        }
    }

    /// <summary>Adam (Kind 0) or SGD with momentum (Kind 1), element-wise, as in <see cref="Ops.OptimizerParams"/>.</summary>
    public static void OptimizerStep(Index1D i, ArrayView<float> w, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, OptimizerArgs p, int stride)
    {
        for (var e = (int)i; e < w.IntLength; e += stride)
        {
            var grad = g[e];
            if (p.Kind == 0)
            {
                var mi = (p.Beta1 * m[e]) + ((1f - p.Beta1) * grad);
                var vi = (p.Beta2 * v[e]) + ((1f - p.Beta2) * grad * grad);
                m[e] = mi;
                v[e] = vi;
                var step = mi / p.Correction1 / (XMath.Sqrt(vi / p.Correction2) + p.Epsilon);
                w[e] -= p.LearningRate * (step + (p.WeightDecay * w[e]));
            }
            else
            {
                var mi = (p.Beta1 * m[e]) + grad + (p.WeightDecay * w[e]);
                m[e] = mi;
                w[e] -= p.LearningRate * mi;
            }
        }
    }
}
