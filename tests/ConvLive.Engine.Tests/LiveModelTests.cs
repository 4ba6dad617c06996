// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Live;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests;

/// <summary>A frame through the live path: device preprocessing, the network, every tap packed, one read.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class LiveModelTests(DeviceFixture devices) : IDisposable
{
    private static readonly InputSpec ZooSpec = new() { Size = 224, Resize = 224, Channels = "BGR", Scale = 1, Mean = [103.939f, 116.779f, 123.68f], Std = [1, 1, 1] };
    private readonly TempFolder _folder = new();

    [SkippableTheory]
    [InlineData("cpu", 1.0, 224)]
    [InlineData("ilgpu-cpu", 0.0625, 115)]
    public void AFrameRunsThroughEveryTapAndMatchesTheModelOnItsOwn(string device, double width, int size)
    {
        using var h = BackendHarness.Open(devices, device);
        var graph = OnnxLoader.Load(SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 3, size, width), _folder.File("zoo.onnx")));
        var spec = ZooSpec with { Size = size, Resize = size };
        using var live = LiveModel.Open(h.Backend, "alexnet", graph, null, spec, Enumerable.Range(0, 1000).Select(i => $"class {i}").ToList());
        const int W = 320, H = 240;
        var frame = new byte[W * H * 3];
        new Random(1).NextBytes(frame);
        var atlas = new byte[live.AtlasWidth * live.AtlasHeight];
        var probs = new float[live.OutputLength];

        live.Run(frame, W, H, atlas, probs);

        Assert.Equal(["Input", "Conv", "LRN", "MaxPool", "Conv", "LRN", "MaxPool", "Conv", "Conv", "Conv", "MaxPool", "Gemm", "Gemm", "Gemm"], live.Taps.Select(t => t.Op));
        Assert.NotNull(live.Labels);
        foreach (var tap in live.Taps)
        {
            var l = tap.Layout;
            var region = Enumerable.Range(l.Y, l.Height).SelectMany(y => atlas.Skip((y * l.AtlasWidth) + l.X).Take(l.Width)).ToArray();
            Assert.True(region.Any(b => b == 255), $"{tap.Title}: no tile reaches 255");
        }

        // The same frame, preprocessed by the naive reference and run by the model alone, gives the same output.
        var p = PreprocessParams.Create(W, H, size, size, bgr: true, 1f, ZooSpec.Mean, ZooSpec.Std);
        using var alone = CompiledModel.Compile(graph, h.Backend);
        alone.SetInput("data_0", ReferenceOps.Preprocess(frame, p));
        alone.Run();
        var expected = new float[1000];
        alone.Read("prob_1", expected);
        Numerics.AssertClose(expected, probs, 1e-4, 1e-2, $"{device} live output");
        Assert.Equal(1.0, probs.Sum(), 3);
    }

    [Fact]
    public void TheAtlasLayoutKeepsBlocksApartAndInside()
    {
        var taps = AtlasPacker.Layout(
            [("a", "Conv", new TensorShape(1, 96, 54, 54)), ("b", "Conv", new TensorShape(1, 256, 26, 26)), ("c", "Gemm", new TensorShape(1, 4096)), ("d", "Conv", new TensorShape(1, 3, 224, 224))],
            out var height);
        for (var i = 0; i < taps.Count; i++)
        {
            var a = taps[i].Layout;
            Assert.InRange(a.X + a.Width, 1, AtlasPacker.Width);
            Assert.InRange(a.Y + a.Height, 1, height);
            Assert.True(a.Columns * a.Rows >= a.Channels);
            for (var j = i + 1; j < taps.Count; j++)
            {
                var b = taps[j].Layout;
                var apart = a.X + a.Width <= b.X || b.X + b.Width <= a.X || a.Y + a.Height <= b.Y || b.Y + b.Height <= a.Y;
                Assert.True(apart, $"{taps[i].Name} overlaps {taps[j].Name}");
            }
        }

        Assert.Equal(64, taps[2].Layout.TileW);
    }

    public void Dispose() => _folder.Dispose();
}
