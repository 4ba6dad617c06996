// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Numerics.Tensors;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Activations, broadcast arithmetic and batch normalisation.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Activation(DeviceTensor y, DeviceTensor x, ActivationKind kind, float alpha)
    {
        Span<float> yd = Cast(y).Span, xd = Cast(x).Span;
        switch (kind)
        {
            case ActivationKind.Relu:
                TensorPrimitives.Max(xd, 0f, yd);
                break;
            case ActivationKind.Tanh:
                TensorPrimitives.Tanh(xd, yd);
                break;
            case ActivationKind.Sigmoid:
                TensorPrimitives.Sigmoid(xd, yd);
                break;
            case ActivationKind.LeakyRelu:
                for (var i = 0; i < xd.Length; i++)
                {
                    yd[i] = xd[i] >= 0f ? xd[i] : alpha * xd[i];
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation");
        }
    }

    /// <inheritdoc/>
    public void Binary(DeviceTensor y, DeviceTensor a, DeviceTensor b, BinaryKind kind, BroadcastParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        Span<float> yd = Cast(y).Span, ad = Cast(a).Span, bd = Cast(b).Span;
        if (p.SameShape)
        {
            switch (kind)
            {
                case BinaryKind.Add: TensorPrimitives.Add(ad, bd, yd); break;
                case BinaryKind.Sub: TensorPrimitives.Subtract(ad, bd, yd); break;
                case BinaryKind.Mul: TensorPrimitives.Multiply(ad, bd, yd); break;
                default: TensorPrimitives.Divide(ad, bd, yd); break;
            }

            return;
        }

        // General case: walk the output in row-major order, carrying per-axis offsets into a and b.
        var dims = p.OutDims;
        Span<int> index = stackalloc int[BroadcastParams.MaxRank];
        int ai = 0, bi = 0;
        var last = BroadcastParams.MaxRank - 1;
        for (var o = 0; o < yd.Length; o++)
        {
            float u = ad[ai], v = bd[bi];
            yd[o] = kind switch
            {
                BinaryKind.Add => u + v,
                BinaryKind.Sub => u - v,
                BinaryKind.Mul => u * v,
                _ => u / v,
            };
            for (var axis = last; axis >= 0; axis--)
            {
                ai += p.AStrides[axis];
                bi += p.BStrides[axis];
                if (++index[axis] < dims[axis])
                {
                    break;
                }

                ai -= p.AStrides[axis] * dims[axis];
                bi -= p.BStrides[axis] * dims[axis];
                index[axis] = 0;
            }
        }
    }

    /// <inheritdoc/>
    public void BatchNorm(DeviceTensor y, DeviceTensor x, DeviceTensor scale, DeviceTensor bias, DeviceTensor mean, DeviceTensor variance, float epsilon)
    {
        float[] yd = Cast(y).Data, xd = Cast(x).Data;
        Span<float> s = Cast(scale).Span, b = Cast(bias).Span, m = Cast(mean).Span, v = Cast(variance).Span;
        int n = x.Shape[0], c = x.Shape[1], spatial = x.Length / Math.Max(1, n * c);
        for (var ch = 0; ch < c; ch++)
        {
            var k = s[ch] / MathF.Sqrt(v[ch] + epsilon);
            var d = b[ch] - (k * m[ch]);
            for (var i = 0; i < n; i++)
            {
                var offset = ((i * c) + ch) * spatial;
                var src = xd.AsSpan(offset, spatial);
                var dst = yd.AsSpan(offset, spatial);
                TensorPrimitives.Multiply(src, k, dst);
                TensorPrimitives.Add(dst, d, dst);
            }
        }
    }

    private static void AddScalar(Span<float> span, float value) => TensorPrimitives.Add(span, value, span);
}
