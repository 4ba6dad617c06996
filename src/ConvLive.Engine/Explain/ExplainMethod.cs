// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Explain;

/// <summary>The ways ConvLive answers "why does the network say this".</summary>
public enum ExplainMethod
{
    /// <summary>∂score/∂input (Simonyan et al. 2014): the input's shape.</summary>
    Gradient,

    /// <summary>Guided backpropagation (Springenberg et al. 2015): Relus pass only positive gradient where their input was positive.</summary>
    Guided,

    /// <summary>The deconvnet rule (Zeiler and Fergus 2014): Relus pass only positive gradient, whatever their input.</summary>
    Deconv,

    /// <summary>Grad-CAM (Selvaraju et al. 2017): relu(Σ_c α_c·A_c) on one layer, α_c the spatial mean of ∂score/∂A_c.</summary>
    GradCam,
}

/// <summary>Names of <see cref="ExplainMethod"/> on the command line.</summary>
public static class ExplainMethods
{
    /// <summary>The names, in the enum's order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["gradient", "guided", "deconv", "gradcam"];

    /// <summary>Parses a name.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="method">The method.</param>
    /// <returns>False for an unknown name.</returns>
    public static bool TryParse(string name, out ExplainMethod method)
    {
        var i = Names.ToList().IndexOf(name?.ToLowerInvariant() ?? string.Empty);
        method = (ExplainMethod)Math.Max(0, i);
        return i >= 0;
    }
}
