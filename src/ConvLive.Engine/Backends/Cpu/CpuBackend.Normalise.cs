// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Numerics.Tensors;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>LRN and softmax.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Lrn(DeviceTensor y, DeviceTensor x, LrnParams p)
    {
        // Per image, a band of spatial positions per worker; per channel the window's sum of squares is a few
        // vector multiply-adds over the band, and the power is exp(−beta·log(…)), all through TensorPrimitives.
        float[] yd = Cast(y).Data, xd = Cast(x).Data;
        int before = (p.Size - 1) / 2, after = p.Size - 1 - before;
        var scale = p.Alpha / p.Size;
        var bands = Math.Min(p.Spatial, _workers.Size * 4);
        for (var n = 0; n < p.N; n++)
        {
            var image = n * p.C * p.Spatial;
            _workers.For(bands, band =>
            {
                int s0 = (int)((long)p.Spatial * band / bands), s1 = (int)((long)p.Spatial * (band + 1) / bands), len = s1 - s0;
                Span<float> sum = len <= 1024 ? stackalloc float[len] : new float[len];
                for (var c = 0; c < p.C; c++)
                {
                    sum.Clear();
                    for (var k = Math.Max(0, c - before); k <= Math.Min(p.C - 1, c + after); k++)
                    {
                        var xk = xd.AsSpan(image + (k * p.Spatial) + s0, len);
                        TensorPrimitives.MultiplyAdd(xk, xk, sum, sum);
                    }

                    TensorPrimitives.Multiply(sum, scale, sum);
                    TensorPrimitives.Add(sum, p.Bias, sum);
                    TensorPrimitives.Log(sum, sum);
                    TensorPrimitives.Multiply(sum, -p.Beta, sum);
                    TensorPrimitives.Exp(sum, sum);
                    var offset = image + (c * p.Spatial) + s0;
                    TensorPrimitives.Multiply(xd.AsSpan(offset, len), sum, yd.AsSpan(offset, len));
                }
            });
        }
    }

    /// <inheritdoc/>
    public void Softmax(DeviceTensor y, DeviceTensor x, SoftmaxParams p)
    {
        float[] yd = Cast(y).Data, xd = Cast(x).Data;
        for (var o = 0; o < p.Outer; o++)
        {
            for (var i = 0; i < p.Inner; i++)
            {
                var baseIndex = (o * p.Axis * p.Inner) + i;
                var max = float.NegativeInfinity;
                for (var a = 0; a < p.Axis; a++)
                {
                    max = MathF.Max(max, xd[baseIndex + (a * p.Inner)]);
                }

                var sum = 0f;
                for (var a = 0; a < p.Axis; a++)
                {
                    sum += MathF.Exp(xd[baseIndex + (a * p.Inner)] - max);
                }

                var logSum = MathF.Log(sum);
                for (var a = 0; a < p.Axis; a++)
                {
                    var shifted = xd[baseIndex + (a * p.Inner)] - max;
                    yd[baseIndex + (a * p.Inner)] = p.Log ? shifted - logSum : MathF.Exp(shifted) / sum;
                }
            }
        }
    }
}
