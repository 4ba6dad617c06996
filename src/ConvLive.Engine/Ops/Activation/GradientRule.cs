// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Ops;

/// <summary>How a Relu passes the gradient backwards: the one switch between the true gradient and the two
/// visualisation rules, chosen per backward call.</summary>
public enum GradientRule
{
    /// <summary>The true gradient: dx = dy where the Relu's input was positive.</summary>
    Gradient,

    /// <summary>Guided backpropagation (Springenberg et al. 2015): dx = dy where the input and dy are both positive.</summary>
    Guided,

    /// <summary>The deconvnet rule (Zeiler and Fergus 2014): dx = max(dy, 0), whatever the input was.</summary>
    Deconv,
}
