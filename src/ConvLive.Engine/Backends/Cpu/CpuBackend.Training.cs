// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Numerics.Tensors;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>The ops that training adds: activation gradients, the softmax cross-entropy loss and optimizer steps.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void SoftmaxCrossEntropy(DeviceTensor grad, DeviceTensor loss, DeviceTensor logits, DeviceTensor target, float scale)
    {
        Span<float> g = Cast(grad).Span, l = Cast(loss).Span, x = Cast(logits).Span, t = Cast(target).Span;
        var rows = l.Length;
        var k = x.Length / Math.Max(1, rows);
        for (var b = 0; b < rows; b++)
        {
            var row = x.Slice(b * k, k);
            var max = TensorPrimitives.Max(row);
            var sum = 0f;
            for (var j = 0; j < k; j++)
            {
                sum += MathF.Exp(row[j] - max);
            }

            var logSum = max + MathF.Log(sum);
            var total = 0f;
            for (var j = 0; j < k; j++)
            {
                var want = t[(b * k) + j];
                var logP = row[j] - logSum;
                total -= want * logP;
                g[(b * k) + j] = scale * (MathF.Exp(logP) - want);
            }

            l[b] = total;
        }
    }

    /// <inheritdoc/>
    public void ParametersChanged(DeviceTensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        parameter.Derived = null;
        ForgetWeightForms(parameter);
    }

    /// <inheritdoc/>
    public void SetParameter(DeviceTensor parameter, ReadOnlySpan<float> values)
    {
        var t = Cast(parameter);
        if (values.Length != t.Length)
        {
            throw new ArgumentException($"setting {values.Length} values into a {t.Shape} parameter");
        }

        values.CopyTo(t.Span);
        ParametersChanged(parameter);
    }

    /// <inheritdoc/>
    public void OptimizerStep(DeviceTensor parameter, DeviceTensor grad, DeviceTensor m, DeviceTensor v, OptimizerParams p)
    {
        Span<float> w = Cast(parameter).Span, g = Cast(grad).Span, md = Cast(m).Span, vd = Cast(v).Span;
        if (p.Kind == OptimizerKind.Adam)
        {
            for (var i = 0; i < w.Length; i++)
            {
                md[i] = (p.Beta1 * md[i]) + ((1f - p.Beta1) * g[i]);
                vd[i] = (p.Beta2 * vd[i]) + ((1f - p.Beta2) * g[i] * g[i]);
                var step = md[i] / p.Correction1 / (MathF.Sqrt(vd[i] / p.Correction2) + p.Epsilon);
                w[i] -= p.LearningRate * (step + (p.WeightDecay * w[i]));
            }
        }
        else
        {
            for (var i = 0; i < w.Length; i++)
            {
                md[i] = (p.Beta1 * md[i]) + g[i] + (p.WeightDecay * w[i]);
                w[i] -= p.LearningRate * md[i];
            }
        }
    }
}
