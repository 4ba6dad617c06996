// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

internal static partial class ReferenceOps
{
    /// <summary>dx of y = f(x) for an activation, under a Relu <see cref="GradientRule"/>.</summary>
    public static float[] ActivationBackward(float[] dy, float[] x, ActivationKind kind, float alpha, GradientRule rule)
    {
        var dx = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            double v = x[i], g = dy[i];
            dx[i] = (float)(kind switch
            {
                ActivationKind.Relu => rule switch
                {
                    GradientRule.Guided => v > 0 && g > 0 ? g : 0,
                    GradientRule.Deconv => g > 0 ? g : 0,
                    _ => v > 0 ? g : 0,
                },
                ActivationKind.LeakyRelu => v >= 0 ? g : alpha * g,
                ActivationKind.Tanh => g * (1 - (Math.Tanh(v) * Math.Tanh(v))),
                _ => g * (1 / (1 + Math.Exp(-v))) * (1 - (1 / (1 + Math.Exp(-v)))),
            });
        }

        return dx;
    }
}
