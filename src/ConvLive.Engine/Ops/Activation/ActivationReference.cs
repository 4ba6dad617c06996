// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

internal static partial class ReferenceOps
{
    public static float[] Activation(float[] x, ActivationKind kind, float alpha) =>
        x.Select(v => (float)(kind switch
        {
            ActivationKind.Relu => Math.Max(0.0, v),
            ActivationKind.LeakyRelu => v >= 0 ? v : alpha * (double)v,
            ActivationKind.Tanh => Math.Tanh(v),
            _ => 1 / (1 + Math.Exp(-v)),
        })).ToArray();
}
