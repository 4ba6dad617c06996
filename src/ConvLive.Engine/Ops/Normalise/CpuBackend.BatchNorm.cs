// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Numerics.Tensors;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Inference BatchNormalization on the CPU.</summary>
public sealed partial class CpuBackend
{
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
}
