// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using Xunit.Sdk;

namespace ConvLive.Tests;

/// <summary>Tolerance checks the way llm.c's validate_result does them: |a−b| ≤ atol + rtol·|ref|, never pure
/// relative error; NaN must match NaN, ±Inf must match itself; failures name the max error and first bad index.</summary>
internal static class Numerics
{
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what)
    {
        var report = Compare(expected, actual, atol, rtol);
        if (report is not null)
        {
            throw new XunitException($"{what}: {report}");
        }
    }

    /// <summary>Null when every element is within tolerance, else a one-line report.</summary>
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
