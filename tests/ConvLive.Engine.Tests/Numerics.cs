// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Tensors;
using Xunit.Sdk;

namespace ConvLive.Tests;

/// <summary>Assertions over <see cref="Tolerance.Compare"/>: |a−b| ≤ atol + rtol·|ref|, NaN/Inf handled,
/// failures naming the max error and the first bad index.</summary>
internal static class Numerics
{
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what)
    {
        var report = Tolerance.Compare(expected, actual, atol, rtol);
        if (report is not null)
        {
            throw new XunitException($"{what}: {report}");
        }
    }

    public static string? Compare(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol) =>
        Tolerance.Compare(expected, actual, atol, rtol);
}
