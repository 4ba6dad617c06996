// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Explain;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Live;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Explain;

/// <summary>What a unit wants: gradient ascent on the input raises the unit's activation.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class ActivationMaximiserTests(DeviceFixture devices) : IDisposable
{
    private readonly TempFolder _folder = new();

    [SkippableTheory]
    [InlineData("cpu", null)]
    [InlineData("cpu", 3)]
    [InlineData("cuda", null)] // 40 forward and backward passes: minutes on ilgpu-cpu's emulated kernels
    public void AscentRaisesAChannelsActivation(string device, int? at)
    {
        using var h = BackendHarness.Open(devices, device);
        using var live = Open(h);
        (int X, int Y)? position = at is { } p ? (p, p) : null;
        using var wants = live.CreateMaximiser("conv2_1", 5, position, 0);
        wants.Jitter = 0; // random weights have no smooth filters for jitter to favour (the ResNet test keeps it)
        var start = wants.Measure();
        var trace = new List<float>();
        for (var i = 0; i < 8; i++)
        {
            wants.Step(5);
            trace.Add(wants.Measure());
        }

        // Rises well above where faint noise starts, and the second half stays above the first's start.
        var spread = Math.Max(1e-3f, Math.Abs(start));
        Assert.True(trace[^1] > start + spread, $"{wants.Describe}: {start} -> {string.Join(", ", trace)}");
        Assert.True(trace.Skip(4).Min() > trace[0], $"{wants.Describe}: {string.Join(", ", trace)}");
        Assert.Equal(40, wants.Steps);
        Assert.True(float.IsFinite(wants.Activation));
    }

    [SkippableFact]
    public void AscentOnAClassRaisesItsScoreAndItsLead()
    {
        using var h = BackendHarness.Open(devices, "cpu");
        using var live = Open(h);
        const int Class = 7;
        using var wants = live.CreateMaximiser(null, 0, null, Class);
        wants.Jitter = 0;
        var before = Scores(wants.Measure);
        wants.Step(40);
        var after = Scores(wants.Measure);

        // The class's score rises, and above the mean of all scores (with random weights every score climbs
        // together; what the ascent adds is the class's lead), and its rank does not fall.
        var rise = after[Class] - before[Class];
        var lead = (after[Class] - after.Average()) - (before[Class] - before.Average());
        int Rank(float[] s) => s.Count(v => v > s[Class]);
        Assert.True(rise > 0 && lead > 0 && Rank(after) <= Rank(before), $"class {Class}: score +{rise}, lead over the mean +{lead}, rank {Rank(before)} -> {Rank(after)}");
        Assert.Equal("class 7", wants.Describe);

        float[] Scores(Func<float> measure)
        {
            measure();
            var scores = new float[live.OutputLength];
            h.Backend.Download(scores, live.Tensor("fc8_1"));
            return scores;
        }

        var rgba = new byte[wants.Side * wants.Side * 4];
        wants.Render(rgba, bgr: true);
        Assert.Contains(rgba.Where((_, i) => i % 4 != 3), v => v == 0);   // stretched to the full range
        Assert.Contains(rgba.Where((_, i) => i % 4 != 3), v => v == 255);
        Assert.All(rgba.Where((_, i) => i % 4 == 3), v => Assert.Equal(255, v));
    }

    [SkippableFact]
    public void WithEveryRegulariserOnATrainedNetworksUnitClimbs()
    {
        // ResNet-18's trained weights (the NuGet package): jitter, decay and blur as in the live view.
        var path = ResNetPackage.Network;
        Skip.IfNot(File.Exists(path), ResNetPackage.Missing);
        using var h = BackendHarness.Open(devices, "cpu");
        using var net = CompiledModel.Compile(OnnxLoader.Load(path), h.Backend);
        float[] low = [-2.12f, -2.04f, -1.80f], high = [2.25f, 2.43f, 2.64f]; // ImageNet's mean and std over 0..1
        using var wants = ActivationMaximiser.ForUnit(net, "Plus313_Output_0", 10, null, low, high);
        Assert.Equal(8, wants.Jitter);
        var start = wants.Measure();
        wants.Step(24);
        var end = wants.Measure();
        Assert.True(end > start + Math.Max(0.5f, Math.Abs(start)), $"{wants.Describe}: {start} -> {end} after {wants.Steps} steps");
    }

    [SkippableFact]
    public void AUnitOutsideTheLayerIsAClearError()
    {
        using var h = BackendHarness.Open(devices, "cpu");
        using var live = Open(h);
        var e = Assert.Throws<ModelException>(() => live.CreateMaximiser("conv2_1", 5, (99, 0), 0));
        Assert.Contains("position (99, 0) is not in 'conv2_1'", e.Message);
        e = Assert.Throws<ModelException>(() => live.CreateMaximiser(null, 0, null, 5000));
        Assert.Contains("class 5000 is out of range", e.Message);
    }

    public void Dispose() => _folder.Dispose();

    private LiveModel Open(BackendHarness h)
    {
        var graph = OnnxLoader.Load(SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 6, size: 99, width: 0.0625), _folder.File("zoo.onnx")));
        return LiveModel.Open(h.Backend, "alexnet", graph, null, new InputSpec { Size = 99, Resize = 99, Channels = "BGR", Mean = [103.939f, 116.779f, 123.68f] }, null);
    }
}
