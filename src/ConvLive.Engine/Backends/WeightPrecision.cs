// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends;

/// <summary>How a backend stores fully connected weights (constant Gemm B operands) for batch-1 products.</summary>
public enum WeightPrecision
{
    /// <summary>As the model gives them: exact.</summary>
    Float32,

    /// <summary>bfloat16 (fp32's upper half, rounded to nearest even): half the bytes, 8 mantissa bits.</summary>
    BFloat16,

    /// <summary>int8 with one fp32 scale per output row (max |w| / 127): a quarter of the bytes.</summary>
    Int8,
}

/// <summary>Names of <see cref="WeightPrecision"/> as options and logs spell them.</summary>
public static class WeightPrecisions
{
    /// <summary>Reads fp32, bf16 or int8 (any case; float32 and bfloat16 too).</summary>
    /// <param name="text">The name.</param>
    /// <param name="precision">The precision, fp32 when unknown.</param>
    /// <returns>True when the name is known.</returns>
    public static bool TryParse(string text, out WeightPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(text);
        (var known, precision) = text.ToLowerInvariant() switch
        {
            "fp32" or "float32" => (true, WeightPrecision.Float32),
            "bf16" or "bfloat16" => (true, WeightPrecision.BFloat16),
            "int8" => (true, WeightPrecision.Int8),
            _ => (false, WeightPrecision.Float32),
        };
        return known;
    }

    /// <summary>The short name: fp32, bf16 or int8.</summary>
    /// <param name="precision">The precision.</param>
    /// <returns>Its name.</returns>
    public static string ToName(this WeightPrecision precision) => precision switch
    {
        WeightPrecision.BFloat16 => "bf16",
        WeightPrecision.Int8 => "int8",
        _ => "fp32",
    };
}
