// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

internal static partial class ReferenceOps
{
    public static float[] Softmax(float[] x, SoftmaxParams p)
    {
        var y = new float[x.Length];
        for (var o = 0; o < p.Outer; o++)
        for (var i = 0; i < p.Inner; i++)
        {
            var max = double.NegativeInfinity;
            for (var a = 0; a < p.Axis; a++)
            {
                max = Math.Max(max, x[(o * p.Axis + a) * p.Inner + i]);
            }

            double sum = 0;
            for (var a = 0; a < p.Axis; a++)
            {
                sum += Math.Exp(x[(o * p.Axis + a) * p.Inner + i] - max);
            }

            for (var a = 0; a < p.Axis; a++)
            {
                var v = x[(o * p.Axis + a) * p.Inner + i] - max;
                y[(o * p.Axis + a) * p.Inner + i] = (float)(p.Log ? v - Math.Log(sum) : Math.Exp(v) / sum);
            }
        }

        return y;
    }
}
