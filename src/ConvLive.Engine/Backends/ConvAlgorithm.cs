// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends;

/// <summary>Which algorithm a backend's convolutions use where it has a choice.</summary>
public enum ConvAlgorithm
{
    /// <summary>The fastest for the geometry on this machine (CPU: where Winograd may pay — 3×3 or 5×5 stride 1,
    /// at least 16 channels in and out — it and the direct GEMM are timed at first use and the faster is kept, see
    /// <see cref="BackendOptions.ConvChoicesFile"/>; else the direct GEMM).</summary>
    Auto,

    /// <summary>Direct: every multiply-add of the definition, summed in one order (bit-for-bit repeatable across
    /// geometries, a few ulps closer to the reference than Winograd).</summary>
    Direct,

    /// <summary>Winograd wherever the geometry allows it (3×3, stride 1, no dilation, one group), even where it
    /// does not pay; for tests and comparisons.</summary>
    Winograd,
}

/// <summary>Names of <see cref="ConvAlgorithm"/> as options and logs spell them.</summary>
public static class ConvAlgorithms
{
    /// <summary>Reads auto, direct or winograd (any case).</summary>
    /// <param name="text">The name.</param>
    /// <param name="algorithm">The algorithm, auto when unknown.</param>
    /// <returns>True when the name is known.</returns>
    public static bool TryParse(string text, out ConvAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(text);
        (var known, algorithm) = text.ToLowerInvariant() switch
        {
            "auto" => (true, ConvAlgorithm.Auto),
            "direct" => (true, ConvAlgorithm.Direct),
            "winograd" => (true, ConvAlgorithm.Winograd),
            _ => (false, ConvAlgorithm.Auto),
        };
        return known;
    }

    /// <summary>The option's name: auto, direct or winograd.</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <returns>Its name.</returns>
    public static string ToName(this ConvAlgorithm algorithm) => algorithm.ToString().ToLowerInvariant();
}
