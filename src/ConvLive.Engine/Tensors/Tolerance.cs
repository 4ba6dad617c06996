// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;

namespace ConvLive.Engine.Tensors;

/// <summary>
/// Closeness of two float arrays the way llm.c's validate_result judges it: |a − b| ≤ atol + rtol·|ref|, never pure
/// relative error (which fails wherever the reference is 0). NaN matches only NaN and ±Inf only itself.
/// </summary>
public static class Tolerance
{
    /// <summary>Compares <paramref name="actual"/> with <paramref name="expected"/>.</summary>
    /// <param name="expected">The reference.</param>
    /// <param name="actual">The values under test.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="rtol">Tolerance relative to |expected|.</param>
    /// <returns>Null when all are close; else one line with the count, the first bad index and the max error.</returns>
    public static string? Compare(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol)
    {
        if (expected.Length != actual.Length)
        {
            return $"length {actual.Length} != expected {expected.Length}";
        }

        int bad = 0, firstBad = -1, worst = -1;
        double maxError = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok;
            double error;
            if (double.IsNaN(e) || double.IsNaN(a))
            {
                ok = double.IsNaN(e) && double.IsNaN(a);
                error = ok ? 0 : double.PositiveInfinity;
            }
            else if (double.IsInfinity(e) || double.IsInfinity(a))
            {
                ok = e == a;
                error = ok ? 0 : double.PositiveInfinity;
            }
            else
            {
                error = Math.Abs(a - e);
                ok = error <= atol + (rtol * Math.Abs(e));
            }

            if (error > maxError || (worst < 0 && !ok))
            {
                maxError = error;
                worst = i;
            }

            if (!ok)
            {
                bad++;
                if (firstBad < 0)
                {
                    firstBad = i;
                }
            }
        }

        return bad == 0 ? null : string.Create(CultureInfo.InvariantCulture,
            $"{bad} of {expected.Length} outside |a-b| <= {atol} + {rtol}*|ref|; first bad index {firstBad} (expected {expected[firstBad]}, got {actual[firstBad]}); max error {maxError:G4} at {worst}");
    }
}
