// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

/// <summary>Softmax's and LogSoftmax's backward, naive: the full Jacobian of each line applied to dy, in double.</summary>
internal static partial class ReferenceOps
{
    /// <summary>dx of y = softmax(x) or log softmax(x) along the axis.</summary>
    public static float[] SoftmaxBackward(float[] dy, float[] x, SoftmaxParams p)
    {
        var dx = new float[x.Length];
        var prob = new double[p.Axis];
        for (var o = 0; o < p.Outer; o++)
        for (var i = 0; i < p.Inner; i++)
        {
            int At(int a) => ((o * p.Axis) + a) * p.Inner + i;
            var max = double.NegativeInfinity;
            for (var a = 0; a < p.Axis; a++)
            {
                max = Math.Max(max, x[At(a)]);
            }

            double sum = 0;
            for (var a = 0; a < p.Axis; a++)
            {
                sum += prob[a] = Math.Exp(x[At(a)] - max);
            }

            for (var a = 0; a < p.Axis; a++)
            {
                prob[a] /= sum;
            }

            for (var k = 0; k < p.Axis; k++)
            {
                double g = 0;
                for (var a = 0; a < p.Axis; a++)
                {
                    // ∂y_a/∂x_k: softmax p_a(δ_ak − p_k); log softmax δ_ak − p_k.
                    var delta = a == k ? 1.0 : 0.0;
                    g += dy[At(a)] * (p.Log ? delta - prob[k] : prob[a] * (delta - prob[k]));
                }

                dx[At(k)] = (float)g;
            }
        }

        return dx;
    }
}
