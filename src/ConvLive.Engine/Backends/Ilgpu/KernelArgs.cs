// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Kernel parameter blocks shared by several op families (each family keeps its own beside its kernels):
/// plain unmanaged structs, passed by value to ILGPU kernels.</summary>
internal readonly record struct BroadcastArgs(
    int D0, int D1, int D2, int D3, int D4, int D5,
    int A0, int A1, int A2, int A3, int A4, int A5,
    int B0, int B1, int B2, int B3, int B4, int B5,
    int Kind);

internal readonly record struct OptimizerArgs(int Kind, float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, float Correction1, float Correction2)
{
    public static OptimizerArgs From(Ops.OptimizerParams p) =>
        new(p.Kind == Ops.OptimizerKind.Adam ? 0 : 1, p.LearningRate, p.Beta1, p.Beta2, p.Epsilon, p.WeightDecay, p.Correction1, p.Correction2);
}
