// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Ops;

/// <summary>Which update rule <see cref="Backends.IBackend.OptimizerStep"/> applies.</summary>
public enum OptimizerKind
{
    /// <summary>Adam (Kingma and Ba) with bias correction; decoupled weight decay (AdamW) when WeightDecay &gt; 0.</summary>
    Adam,

    /// <summary>Stochastic gradient descent with heavy-ball momentum; L2 weight decay added to the gradient.</summary>
    Sgd,
}

/// <summary>
/// One optimizer update, element-wise over a parameter tensor p with gradient g and state m, v:
/// Adam: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lr·(m/Correction1) / (sqrt(v/Correction2) + ε) + lr·wd·p.
/// SGD: m = β1·m + g + wd·p; p −= lr·m (v unused).
/// </summary>
/// <param name="Kind">The rule.</param>
/// <param name="LearningRate">lr.</param>
/// <param name="Beta1">Adam's first-moment decay, or SGD's momentum.</param>
/// <param name="Beta2">Adam's second-moment decay.</param>
/// <param name="Epsilon">Adam's ε.</param>
/// <param name="WeightDecay">wd.</param>
/// <param name="Correction1">1 − β1^t (Adam's bias correction at step t; 1 for SGD).</param>
/// <param name="Correction2">1 − β2^t.</param>
public readonly record struct OptimizerParams(OptimizerKind Kind, float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, float Correction1, float Correction2)
{
    /// <summary>The parameters for update number <paramref name="step"/> (1-based).</summary>
    /// <param name="kind">The rule.</param>
    /// <param name="learningRate">lr.</param>
    /// <param name="weightDecay">wd.</param>
    /// <param name="step">t ≥ 1.</param>
    /// <returns>The parameters.</returns>
    public static OptimizerParams At(OptimizerKind kind, float learningRate, float weightDecay, int step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        return kind == OptimizerKind.Adam
            ? new OptimizerParams(kind, learningRate, 0.9f, 0.999f, 1e-8f, weightDecay, 1f - MathF.Pow(0.9f, step), 1f - MathF.Pow(0.999f, step))
            : new OptimizerParams(kind, learningRate, 0.9f, 0f, 0f, weightDecay, 1f, 1f);
    }
}
