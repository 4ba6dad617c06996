// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Numerics.Tensors;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Softmax and LogSoftmax on the CPU.</summary>
public sealed partial class CpuBackend
{
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
