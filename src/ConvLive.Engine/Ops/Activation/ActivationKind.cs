// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Ops;

/// <summary>Element-wise activations.</summary>
public enum ActivationKind
{
    /// <summary>max(0, x).</summary>
    Relu,

    /// <summary>x ≥ 0 ? x : alpha·x.</summary>
    LeakyRelu,

    /// <summary>tanh(x).</summary>
    Tanh,

    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,
}
