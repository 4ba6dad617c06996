// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Teaching;
using ConvLive.Engine.Vision;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests;

/// <summary>The live kernels view's per-frame filter equals the filter command's on the same grey frame, for
/// changing settings, the gradient magnitude and the shifted copy.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class LiveFeatureMapTests(DeviceFixture devices)
{
    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("cuda")] // ILGPU's CPU simulator runs these ops in FeatureMapFilterTests; here it would take minutes
    public void EachSettingMatchesTheFilterOnTheGreyFrame(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        const int H = 24, W = 32;
        var random = new Random(3);
        var bgr = new byte[H * W * 3];
        random.NextBytes(bgr);
        var grey = Grey(bgr);
        using var live = new LiveFeatureMap(h.Backend);
        var map = new float[H * W];
        var diff = new float[H * W];
        FilterSettings[] settings =
        [
            new(Kernel2D.Vertical),
            new(Kernel2D.Horizontal, 2, 1, true, ActivationKind.Relu, PoolKind.Max, 2, 2),
            new(Kernel2D.Gaussian(5), 1, 2, false, ActivationKind.Tanh, PoolKind.L2, 3, 2),
            new(Kernel2D.Laplacian, 3, 0, false, null, PoolKind.Average, 2, 2),
            new(Kernel2D.Vertical), // back to the first: re-planned, not stale
        ];
        foreach (var s in settings)
        {
            live.Run(bgr, W, H, new KernelViewSettings(s), map, diff);
            var expected = FeatureMapFilter.Run(h.Backend, grey, H, W, s);
            Assert.Equal((expected.Shape[0], expected.Shape[1]), (live.MapHeight, live.MapWidth));
            Numerics.AssertClose(expected.Data, map.AsSpan(0, expected.Data.Length), 1e-5, 1e-4, $"{device} {s.Kernel} stride {s.Stride} pool {s.Pool}");
        }

        // Gradient magnitude of Sobel x and y.
        live.Run(bgr, W, H, new KernelViewSettings(new FilterSettings(Kernel2D.SobelX, Padding: 1), Kernel2D.SobelY), map, diff);
        var gx = FeatureMapFilter.Run(h.Backend, grey, H, W, new FilterSettings(Kernel2D.SobelX, Padding: 1)).Data;
        var gy = FeatureMapFilter.Run(h.Backend, grey, H, W, new FilterSettings(Kernel2D.SobelY, Padding: 1)).Data;
        Numerics.AssertClose(gx.Zip(gy, (a, b) => MathF.Sqrt((a * a) + (b * b))).ToArray(), map.AsSpan(0, gx.Length), 1e-5, 1e-4, $"{device} magnitude");
    }

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("cuda")] // ILGPU's CPU simulator runs these ops in FeatureMapFilterTests; here it would take minutes
    public void TheShiftedRunMeasuresTheChangeAndPoolingReducesIt(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        const int H = 32, W = 48;
        // Vertical bars 4 px wide: a one-pixel shift moves every edge.
        var bgr = new byte[H * W * 3];
        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                var v = (byte)((x / 4) % 2 == 0 ? 220 : 30);
                bgr[(((y * W) + x) * 3) + 0] = bgr[(((y * W) + x) * 3) + 1] = bgr[(((y * W) + x) * 3) + 2] = v;
            }
        }

        using var live = new LiveFeatureMap(h.Backend);
        var map = new float[H * W];
        var diff = new float[H * W];
        var s = new FilterSettings(Kernel2D.Vertical, 1, 1, false, ActivationKind.Relu, PoolKind.Max, 4, 4);
        var change = live.Run(bgr, W, H, new KernelViewSettings(s, Shift: 1), map, diff);

        var grey = Grey(bgr);
        var shifted = new float[grey.Length];
        for (var y = 0; y < H; y++)
        {
            Array.Copy(grey, y * W, shifted, (y * W) + 1, W - 1);
        }

        var before = FeatureMapFilter.Run(h.Backend, grey, H, W, s).Data;
        var after = FeatureMapFilter.Run(h.Backend, shifted, H, W, s).Data;
        Numerics.AssertClose(before.Zip(after, (a, b) => MathF.Abs(b - a)).ToArray(), diff.AsSpan(0, before.Length), 1e-5, 1e-4, $"{device} difference");
        Assert.True(change.Feature > 0.5, $"the ReLU edge map should move almost entirely: {change.Feature}");
        Assert.True(change.Final < change.Feature / 2, $"4x4 max pooling should absorb most of a 1-pixel shift: {change.Final} vs {change.Feature}");
    }

    private static float[] Grey(byte[] bgr)
    {
        var g = new float[bgr.Length / 3];
        for (var i = 0; i < g.Length; i++)
        {
            g[i] = ((0.114f * bgr[3 * i]) + (0.587f * bgr[(3 * i) + 1]) + (0.299f * bgr[(3 * i) + 2])) / 255f;
        }

        return g;
    }
}
