// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

/// <summary>Naive double-precision definitions of the training ops, the fast ones' references.</summary>
public static class TrainingReference
{
    /// <summary>dx = dy·f′ written through y = f(x).</summary>
    public static float[] ActivationBackward(float[] dy, float[] y, ActivationKind kind, float alpha)
    {
        ArgumentNullException.ThrowIfNull(dy);
        ArgumentNullException.ThrowIfNull(y);
        var dx = new float[dy.Length];
        for (var i = 0; i < dx.Length; i++)
        {
            double o = y[i];
            var d = kind switch
            {
                ActivationKind.Relu => o > 0 ? 1.0 : 0.0,
                ActivationKind.LeakyRelu => o >= 0 ? 1.0 : alpha,
                ActivationKind.Tanh => 1 - (o * o),
                ActivationKind.Sigmoid => o * (1 - o),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
            dx[i] = (float)(dy[i] * d);
        }

        return dx;
    }

    /// <summary>Per-row softmax cross-entropy loss of (rows, k) logits against target distributions.</summary>
    public static double[] CrossEntropy(float[] logits, float[] target, int rows)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        var k = logits.Length / rows;
        var loss = new double[rows];
        for (var b = 0; b < rows; b++)
        {
            var max = double.NegativeInfinity;
            for (var j = 0; j < k; j++)
            {
                max = Math.Max(max, logits[(b * k) + j]);
            }

            var sum = 0.0;
            for (var j = 0; j < k; j++)
            {
                sum += Math.Exp(logits[(b * k) + j] - max);
            }

            var logSum = max + Math.Log(sum);
            for (var j = 0; j < k; j++)
            {
                loss[b] -= target[(b * k) + j] * (logits[(b * k) + j] - logSum);
            }
        }

        return loss;
    }

    /// <summary>The gradient scale·(softmax − target) of the loss above.</summary>
    public static float[] CrossEntropyGradient(float[] logits, float[] target, int rows, float scale)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(target);
        var k = logits.Length / rows;
        var grad = new float[logits.Length];
        for (var b = 0; b < rows; b++)
        {
            var max = Enumerable.Range(0, k).Max(j => (double)logits[(b * k) + j]);
            var sum = Enumerable.Range(0, k).Sum(j => Math.Exp(logits[(b * k) + j] - max));
            for (var j = 0; j < k; j++)
            {
                grad[(b * k) + j] = (float)(scale * ((Math.Exp(logits[(b * k) + j] - max) / sum) - target[(b * k) + j]));
            }
        }

        return grad;
    }

    /// <summary>One optimizer update in place, as <see cref="OptimizerParams"/> defines it.</summary>
    public static void OptimizerStep(double[] w, float[] g, double[] m, double[] v, OptimizerParams p)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(v);
        for (var i = 0; i < w.Length; i++)
        {
            if (p.Kind == OptimizerKind.Adam)
            {
                m[i] = (p.Beta1 * m[i]) + ((1 - p.Beta1) * g[i]);
                v[i] = (p.Beta2 * v[i]) + ((1 - p.Beta2) * g[i] * (double)g[i]);
                w[i] -= p.LearningRate * ((m[i] / p.Correction1 / (Math.Sqrt(v[i] / p.Correction2) + p.Epsilon)) + (p.WeightDecay * w[i]));
            }
            else
            {
                m[i] = (p.Beta1 * m[i]) + g[i] + (p.WeightDecay * w[i]);
                w[i] -= p.LearningRate * m[i];
            }
        }
    }
}
