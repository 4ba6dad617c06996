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

    /// <summary>
    /// Whole-model comparison with ONNX Runtime: |a−b| ≤ atol + 1e-3·|ref| with atol = 1e-5 scaled by the layer's
    /// largest |ref| (at least 1). A float32 dot product's error grows with the size of its terms, not of its
    /// result: where large terms cancel (AlexNet and ResNet take 0–255 pixels) both engines are off from the
    /// float64 value by more than 1e-5, in different directions, so a fixed 1e-5 would test summation order.
    /// </summary>
    public static void AssertCloseToReference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        var scale = 1.0;
        foreach (var v in expected)
        {
            if (float.IsFinite(v))
            {
                scale = Math.Max(scale, Math.Abs(v));
            }
        }

        AssertClose(expected, actual, 1e-5 * scale, 1e-3, what);
    }

    public static string? Compare(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol) =>
        Tolerance.Compare(expected, actual, atol, rtol);
}
