// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>LRN and softmax.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Lrn(DeviceTensor y, DeviceTensor x, LrnParams p)
    {
        float[] yd = Cast(y).Data, xd = Cast(x).Data;
        int before = (p.Size - 1) / 2, after = p.Size - 1 - before;
        var scale = p.Alpha / p.Size;
        _workers.For(p.N * p.C, plane =>
        {
            int n = plane / p.C, c = plane % p.C;
            int c0 = Math.Max(0, c - before), c1 = Math.Min(p.C - 1, c + after);
            var offset = plane * p.Spatial;
            for (var s = 0; s < p.Spatial; s++)
            {
                var sum = 0f;
                for (var k = c0; k <= c1; k++)
                {
                    var v = xd[(((n * p.C) + k) * p.Spatial) + s];
                    sum += v * v;
                }

                yd[offset + s] = xd[offset + s] / MathF.Pow(p.Bias + (scale * sum), p.Beta);
            }
        });
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
