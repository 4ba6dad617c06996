// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Engine.Benchmarks;

namespace ConvLive.App.Cli;

/// <summary>How <c>bench</c> words the FMA peak of vectors narrower than the widest.</summary>
internal static class FmaPeakText
{
    /// <summary>
    /// Where 512-bit vectors are accelerated, "with 512-bit vectors; 256-bit: X (full-width|split …)": whether
    /// the CPU runs a 512-bit FMA at once or in two halves decides what the wider kernels gain.
    /// </summary>
    public static string Narrower(int threads, double widest)
    {
        if (FmaPeak.WidestBits < 512)
        {
            return string.Create(CultureInfo.InvariantCulture, $" with {FmaPeak.WidestBits}-bit vectors");
        }

        var half = FmaPeak.Measure(threads, 256);
        var ratio = widest / half;
        return string.Create(CultureInfo.InvariantCulture,
            $" with 512-bit vectors; 256-bit: {half:0.0} ({ratio:0.00}x: {(ratio > 1.5 ? "full-width 512-bit FMA units" : "512-bit FMAs run as two halves")})");
    }
}
