// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends;

/// <summary>Which algorithm a backend's convolutions use where it has a choice.</summary>
public enum ConvAlgorithm
{
    /// <summary>The fastest for the geometry on this machine (CPU: where Winograd may pay — 3×3 or 5×5 stride 1,
    /// at least 16 channels in and out, or a strided layer over few channels whose space-to-depth form is such a
    /// layer, as AlexNet's conv1 — the direct GEMM and each Winograd form (F(4×4), for 3×3 also F(2×2)) are
    /// timed at first use and the fastest is kept, see
    /// <see cref="BackendOptions.ConvChoicesFile"/>; else the direct GEMM).</summary>
    Auto,

    /// <summary>Direct: every multiply-add of the definition, summed in one order (bit-for-bit repeatable across
    /// geometries, a few ulps closer to the reference than Winograd).</summary>
    Direct,

    /// <summary>Winograd F(4×4, r×r) wherever the geometry allows it (3×3 or 5×5, stride 1, no dilation; and a
    /// strided layer whose space-to-depth form is one, e.g. 11×11 stride 4 as 3×3 over 16× the channels), even where
    /// it does not pay; for tests and comparisons.</summary>
    Winograd,

    /// <summary>Winograd F(2×2, 3×3) wherever the geometry allows it (3×3, stride 1, no dilation; 5×5 kernels and
    /// strided layers' space-to-depth forms take F(4×4)): 16 transformed weights per channel pair instead of 36, 2.25× fewer multiply-adds than direct
    /// instead of 4×; for tests and comparisons.</summary>
    Winograd2x2,
}

/// <summary>Names of <see cref="ConvAlgorithm"/> as options and logs spell them.</summary>
public static class ConvAlgorithms
{
    /// <summary>Reads auto, direct, winograd or winograd2x2 (any case).</summary>
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
            "winograd2x2" => (true, ConvAlgorithm.Winograd2x2),
            _ => (false, ConvAlgorithm.Auto),
        };
        return known;
    }

    /// <summary>The option's name: auto, direct, winograd or winograd2x2.</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <returns>Its name.</returns>
    public static string ToName(this ConvAlgorithm algorithm) => algorithm.ToString().ToLowerInvariant();
}
