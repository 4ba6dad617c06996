// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Softmax's and LogSoftmax's backward on the CPU, one line along the axis at a time.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void SoftmaxBackward(DeviceTensor dx, DeviceTensor dy, DeviceTensor y, SoftmaxParams p)
    {
        float[] dxd = Cast(dx).Data, dyd = Cast(dy).Data, yd = Cast(y).Data;
        for (var o = 0; o < p.Outer; o++)
        {
            for (var i = 0; i < p.Inner; i++)
            {
                var first = (o * p.Axis * p.Inner) + i;
                var dot = 0.0;
                for (var a = 0; a < p.Axis; a++)
                {
                    var at = first + (a * p.Inner);
                    dot += p.Log ? dyd[at] : (double)dyd[at] * yd[at];
                }

                for (var a = 0; a < p.Axis; a++)
                {
                    var at = first + (a * p.Inner);
                    dxd[at] = p.Log ? dyd[at] - (MathF.Exp(yd[at]) * (float)dot) : yd[at] * (dyd[at] - (float)dot);
                }
            }
        }
    }
}
