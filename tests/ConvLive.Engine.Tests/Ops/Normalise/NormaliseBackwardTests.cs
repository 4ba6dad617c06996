// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Normalise;

/// <summary>LRN's and inference BatchNormalization's backward against their references and finite differences.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class NormaliseBackwardTests(DeviceFixture devices)
{
    public static TheoryData<string> Devices => BackendHarness.Devices;

    /// <summary>AlexNet's LRN (size 5, large alpha so the cross terms matter) and an even size (the window is asymmetric).</summary>
    public static TheoryData<int, float> LrnCases => new() { { 5, 0.5f }, { 4, 0.3f }, { 1, 0.2f } };

    [Theory]
    [MemberData(nameof(LrnCases))]
    public void LrnReferenceGradientMatchesFiniteDifferences(int size, float alpha)
    {
        var p = new LrnParams(2, 7, 6, size, alpha, 0.75f, 1f);
        var x = BackendHarness.Random(2 * 7 * 6, 1, scale: 2f);
        var dy = BackendHarness.Random(x.Length, 2);
        GradientCheck.AssertMatchesFiniteDifferences(ReferenceOps.LrnBackward(dy, x, p), v => ReferenceOps.Lrn(v, p), x, dy, $"LRN size {size}", step: 1e-3f);
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void LrnBackendGradientEqualsTheReference(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        foreach (var (size, alpha) in new[] { (5, 0.5f), (4, 0.3f), (5, 1e-4f) })
        {
            var p = new LrnParams(2, 9, 10, size, alpha, 0.75f, 1f);
            var x = BackendHarness.Random(2 * 9 * 10, 3, scale: 3f);
            var dy = BackendHarness.Random(x.Length, 4);
            var xt = h.Upload(x, 2, 9, 2, 5);
            var y = h.Empty(xt.Shape);
            h.Backend.Lrn(y, xt, p);
            var dx = h.Empty(xt.Shape);
            h.Backend.LrnBackward(dx, h.Upload(dy, 2, 9, 2, 5), xt, y, p);
            Numerics.AssertClose(ReferenceOps.LrnBackward(dy, x, p), h.Download(dx), 1e-5, 1e-4, $"{device} LRN size {size}");
        }
    }

    [Fact]
    public void BatchNormReferenceGradientsMatchFiniteDifferences()
    {
        const int n = 2, c = 3, spatial = 5;
        var (x, scale, bias, mean, variance) = BatchNormData(n, c, spatial);
        var dy = BackendHarness.Random(x.Length, 9);
        var (dx, dScale, dBias) = ReferenceOps.BatchNormBackward(dy, x, n, c, spatial, scale, mean, variance, 1e-3f);
        GradientCheck.AssertMatchesFiniteDifferences(dx, v => ReferenceOps.BatchNorm(v, n, c, spatial, scale, bias, mean, variance, 1e-3f), x, dy, "BN dx");
        GradientCheck.AssertMatchesFiniteDifferences(dScale, v => ReferenceOps.BatchNorm(x, n, c, spatial, v, bias, mean, variance, 1e-3f), scale, dy, "BN dScale");
        GradientCheck.AssertMatchesFiniteDifferences(dBias, v => ReferenceOps.BatchNorm(x, n, c, spatial, scale, v, mean, variance, 1e-3f), bias, dy, "BN dBias");
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void BatchNormBackendGradientsEqualTheReference(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        const int n = 2, c = 3, spatial = 5;
        var (x, scale, _, mean, variance) = BatchNormData(n, c, spatial);
        var dy = BackendHarness.Random(x.Length, 9);
        var (dxRef, dScaleRef, dBiasRef) = ReferenceOps.BatchNormBackward(dy, x, n, c, spatial, scale, mean, variance, 1e-3f);
        var dx = h.Empty(new TensorShape(n, c, spatial));
        var dScale = h.Empty(new TensorShape(c));
        var dBias = h.Empty(new TensorShape(c));
        h.Backend.BatchNormBackward(dx, dScale, dBias, h.Upload(dy, n, c, spatial), h.Upload(x, n, c, spatial), h.Upload(scale, c), h.Upload(mean, c), h.Upload(variance, c), 1e-3f);
        Numerics.AssertClose(dxRef, h.Download(dx), 1e-6, 1e-5, $"{device} BN dx");
        Numerics.AssertClose(dScaleRef, h.Download(dScale), 1e-5, 1e-4, $"{device} BN dScale");
        Numerics.AssertClose(dBiasRef, h.Download(dBias), 1e-5, 1e-4, $"{device} BN dBias");

        // Each output is optional: the bias alone.
        var dBiasOnly = h.Empty(new TensorShape(c));
        h.Backend.BatchNormBackward(null, null, dBiasOnly, h.Upload(dy, n, c, spatial), h.Upload(x, n, c, spatial), h.Upload(scale, c), h.Upload(mean, c), h.Upload(variance, c), 1e-3f);
        Numerics.AssertClose(dBiasRef, h.Download(dBiasOnly), 1e-5, 1e-4, $"{device} BN dBias alone");
    }

    private static (float[] X, float[] Scale, float[] Bias, float[] Mean, float[] Variance) BatchNormData(int n, int c, int spatial) =>
        (BackendHarness.Random(n * c * spatial, 5, 2f),
         BackendHarness.Random(c, 6).Select(v => v + 1.2f).ToArray(),
         BackendHarness.Random(c, 7),
         BackendHarness.Random(c, 8, 0.5f),
         BackendHarness.Random(c, 10).Select(v => v + 1.5f).ToArray());
}
