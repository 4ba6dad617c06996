// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Numerics.Tensors;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Activations on the CPU, forward and backward (the Relu backward under each <see cref="GradientRule"/>).</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Activation(DeviceTensor y, DeviceTensor x, ActivationKind kind, float alpha)
    {
        var op = kind switch
        {
            ActivationKind.Relu => ElementwiseJob.Op.Relu,
            ActivationKind.Tanh => ElementwiseJob.Op.Tanh,
            ActivationKind.Sigmoid => ElementwiseJob.Op.Sigmoid,
            ActivationKind.LeakyRelu => ElementwiseJob.Op.LeakyRelu,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation"),
        };
        if (x.Length != y.Length)
        {
            throw new ArgumentException($"activation output {y.Shape} and input {x.Shape} differ in length");
        }

        _elementwise.Run(_workers, op, Cast(y).Data, Cast(x).Data, [], y.Length, alpha); // on the workers where large
    }

    /// <inheritdoc/>
    public void ActivationBackward(DeviceTensor dx, DeviceTensor dy, DeviceTensor y, ActivationKind kind, float alpha, GradientRule rule = GradientRule.Gradient)
    {
        Span<float> dxd = Cast(dx).Span, dyd = Cast(dy).Span, yd = Cast(y).Span;
        if (kind == ActivationKind.Relu && rule == GradientRule.Gradient)
        {
            ReluBackward(dxd, dyd, yd);
            return;
        }

        for (var i = 0; i < dxd.Length; i++)
        {
            var o = yd[i];
            var g = dyd[i];
            dxd[i] = g * kind switch
            {
                ActivationKind.Relu => rule switch
                {
                    GradientRule.Guided => o > 0f && g > 0f ? 1f : 0f,
                    GradientRule.Deconv => g > 0f ? 1f : 0f,
                    _ => o > 0f ? 1f : 0f,
                },
                ActivationKind.LeakyRelu => o >= 0f ? 1f : alpha,
                ActivationKind.Tanh => 1f - (o * o),
                ActivationKind.Sigmoid => o * (1f - o),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation"),
            };
        }
    }

    /// <summary>dx = y &gt; 0 ? dy : 0, a vector at a time (the whole-network backward runs it over every Relu).</summary>
    private static void ReluBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> y)
    {
        var i = 0;
        var width = System.Numerics.Vector<float>.Count;
        for (; i <= dx.Length - width; i += width)
        {
            var positive = System.Numerics.Vector.GreaterThan(new System.Numerics.Vector<float>(y[i..]), System.Numerics.Vector<float>.Zero);
            System.Numerics.Vector.ConditionalSelect(positive, new System.Numerics.Vector<float>(dy[i..]), System.Numerics.Vector<float>.Zero).CopyTo(dx[i..]);
        }

        for (; i < dx.Length; i++)
        {
            dx[i] = y[i] > 0f ? dy[i] : 0f;
        }
    }
}
