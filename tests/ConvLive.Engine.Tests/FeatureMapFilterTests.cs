// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Teaching;
using ConvLive.Engine.Vision;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests;

/// <summary>The lecture's filter against a naive reference for every combination of its settings.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class FeatureMapFilterTests(DeviceFixture devices)
{
    private static readonly Kernel2D Custom = new("custom", 5, Enumerable.Range(0, 25).Select(i => (float)Math.Cos(i)).ToArray());

    [SkippableTheory]
    [InlineData("cpu", 1)]
    [InlineData("ilgpu-cpu", 7)]
    public void EveryCombinationEqualsTheNaiveReference(string device, int every)
    {
        using var h = BackendHarness.Open(devices, device);
        const int H = 13, W = 17;
        var image = BackendHarness.Random(H * W, 5).Select(v => (v + 1) / 2).ToArray();
        var index = 0;
        foreach (var kernel in new[] { Kernel2D.Vertical, Kernel2D.SobelY, Kernel2D.Laplacian, Custom })
        foreach (var stride in new[] { 1, 2, 3 })
        foreach (var padding in new[] { 0, 1, 2 })
        foreach (var convolution in new[] { false, true })
        foreach (var activation in new ActivationKind?[] { null, ActivationKind.Relu, ActivationKind.Tanh })
        foreach (var pool in new PoolKind?[] { null, PoolKind.Max, PoolKind.Average, PoolKind.L2 })
        {
            if (index++ % every != 0)
            {
                continue;
            }

            var s = new FilterSettings(kernel, stride, padding, convolution, activation, pool, 2, 2);
            var actual = FeatureMapFilter.Run(h.Backend, image, H, W, s);
            var expected = Naive(image, H, W, s, out var oh, out var ow);
            Assert.Equal((oh, ow), (actual.Shape[0], actual.Shape[1]));
            Numerics.AssertClose(expected, actual.Data, 1e-5, 1e-4, $"{device} {s}");
        }
    }

    [Fact]
    public void TheArithmeticFillsInTheLecturesFormulaAndWarnsWhenItIsNotWhole()
    {
        var a = FeatureMapFilter.Arithmetic(227, 227, new FilterSettings(new Kernel2D("k11", 11, new float[121]), Stride: 4));
        Assert.Equal((55, 55), (a.OutH, a.OutW));
        Assert.Contains("(227 - 11 + 2*0)/4 + 1 = 55", a.Lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("WARNING", a.Lines[0], StringComparison.Ordinal);
        Assert.Equal(121, a.Parameters);
        Assert.Equal(121L * 55 * 55, a.Computations);

        var b = FeatureMapFilter.Arithmetic(224, 224, new FilterSettings(new Kernel2D("k11", 11, new float[121]), Stride: 4));
        Assert.Equal(54, b.OutH);
        Assert.Contains("54.25 -> 54: WARNING not a whole number", b.Lines[0], StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => FeatureMapFilter.Arithmetic(2, 2, new FilterSettings(Kernel2D.Vertical)));
    }

    [Fact]
    public void ConvolutionFlipsTheKernelAndCorrelationDoesNot()
    {
        // A single bright pixel: correlation paints the kernel flipped around it, convolution paints it as written.
        var image = new float[7 * 7];
        image[(3 * 7) + 3] = 1;
        var kernel = new Kernel2D("asym", 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        using var h = BackendHarness.Open(devices, "cpu");
        var correlation = FeatureMapFilter.Run(h.Backend, image, 7, 7, new FilterSettings(kernel));
        var convolution = FeatureMapFilter.Run(h.Backend, image, 7, 7, new FilterSettings(kernel, Convolution: true));
        Assert.Equal([9f, 8, 7, 6, 5, 4, 3, 2, 1], Window(correlation.Data, 5, 1, 1));
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8, 9], Window(convolution.Data, 5, 1, 1));
    }

    private static float[] Window(float[] map, int width, int x, int y) =>
        Enumerable.Range(0, 9).Select(i => map[((y + (i / 3)) * width) + x + (i % 3)]).ToArray();

    /// <summary>Straight from the definitions: pad, slide, (flip), activate, pool.</summary>
    private static float[] Naive(float[] image, int h, int w, FilterSettings s, out int outH, out int outW)
    {
        int k = s.Kernel.Size, p = s.Padding;
        var weights = s.Kernel.Weights.ToArray();
        int convH = ((h - k + (2 * p)) / s.Stride) + 1, convW = ((w - k + (2 * p)) / s.Stride) + 1;
        var conv = new double[convH, convW];
        for (var oy = 0; oy < convH; oy++)
        for (var ox = 0; ox < convW; ox++)
        {
            double sum = 0;
            for (var i = 0; i < k; i++)
            for (var j = 0; j < k; j++)
            {
                int iy = (oy * s.Stride) + i - p, ix = (ox * s.Stride) + j - p;
                var pixel = iy >= 0 && iy < h && ix >= 0 && ix < w ? image[(iy * w) + ix] : 0;
                var weight = s.Convolution ? weights[((k - 1 - i) * k) + (k - 1 - j)] : weights[(i * k) + j];
                sum += pixel * weight;
            }

            conv[oy, ox] = s.Activation switch
            {
                ActivationKind.Relu => Math.Max(0, sum),
                ActivationKind.Tanh => Math.Tanh(sum),
                _ => sum,
            };
        }

        if (s.Pool is not { } pool)
        {
            (outH, outW) = (convH, convW);
            return conv.Cast<double>().Select(v => (float)v).ToArray();
        }

        outH = ((convH - s.PoolSize) / s.PoolStride) + 1;
        outW = ((convW - s.PoolSize) / s.PoolStride) + 1;
        var pooled = new float[outH * outW];
        for (var oy = 0; oy < outH; oy++)
        for (var ox = 0; ox < outW; ox++)
        {
            var window = new List<double>();
            for (var i = 0; i < s.PoolSize; i++)
            for (var j = 0; j < s.PoolSize; j++)
            {
                window.Add(conv[(oy * s.PoolStride) + i, (ox * s.PoolStride) + j]);
            }

            pooled[(oy * outW) + ox] = (float)(pool switch
            {
                PoolKind.Max => window.Max(),
                PoolKind.Average => window.Average(),
                _ => Math.Sqrt(window.Sum(v => v * v)),
            });
        }

        return pooled;
    }
}
