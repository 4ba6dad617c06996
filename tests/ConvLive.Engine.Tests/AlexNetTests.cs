// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;
using Onnx;
using ConvLive.Engine.Models;

namespace ConvLive.Engine.Tests;

/// <summary>Both AlexNet layouts against ONNX Runtime on every tapped layer, and the lecture's counts.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class AlexNetTests(DeviceFixture devices) : IDisposable
{
    private readonly TempFolder _folder = new();

    [SkippableTheory]
    [InlineData("zoo", "cpu", 1.0, 224)]
    [InlineData("torchvision", "cpu", 1.0, 224)]
    [InlineData("zoo", "ilgpu-cpu", 0.0625, 115)]
    [InlineData("torchvision", "ilgpu-cpu", 0.0625, 115)]
    [InlineData("zoo", "cuda", 1.0, 224)]
    public void EveryLayerEqualsOnnxRuntime(string layout, string deviceName, double width, int size)
    {
        // ILGPU's CPU simulator runs the GPU kernels thread by thread, so it gets a narrower, smaller AlexNet:
        // the same layers, attributes and names, fewer channels and pixels.
        using var h = BackendHarness.Open(devices, deviceName);
        var proto = layout == "zoo" ? SeededAlexNet.Zoo(seed: 42, size, width) : SeededAlexNet.Torchvision(seed: 42, size, width);
        var path = SeededAlexNet.Save(proto, _folder.File($"alexnet-{layout}.onnx"));
        var graph = OnnxLoader.Load(path);
        var inputName = graph.Inputs[0].Name;

        // The zoo model takes BGR 0..255 minus the mean; the torchvision one ImageNet-normalised RGB.
        var image = BackendHarness.Random(3 * size * size, 3).Select(v => layout == "zoo" ? v * 120f : v * 2f).ToArray();
        using var model = CompiledModel.Compile(graph, h.Backend);
        model.SetInput(inputName, image);
        model.Run();

        var taps = graph.Nodes.SelectMany(n => n.Outputs).Where(o => o.Length > 0).ToList();
        var reference = OrtReference.Run(proto, inputName, image, [1, 3, size, size], taps);
        foreach (var tap in taps)
        {
            var ours = new float[model.ShapeOf(tap).Length];
            model.Read(tap, ours);
            Numerics.AssertCloseToReference(reference[tap], ours, $"{layout} {deviceName} tap '{tap}' {model.ShapeOf(tap)}");
        }

        Assert.Equal(new TensorShape(1, 1000), model.ShapeOf(graph.Outputs[0].Name));
    }

    [Fact]
    public void InspectCountsTheLecturesNumbersAt227()
    {
        var path = SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 1), _folder.File("zoo.onnx"));
        var rows = ModelInspector.Inspect(OnnxLoader.Load(path), inputSize: 227);

        var conv1 = rows.Single(r => r.Name == "conv1_1");
        Assert.Equal(new TensorShape(1, 96, 55, 55), conv1.Output);
        Assert.Equal(34_944, conv1.Parameters);
        Assert.Equal(105_705_600, conv1.Computations);
        Assert.Equal(11, conv1.ReceptiveField);
        Assert.Equal(new TensorShape(1, 256, 6, 6), rows.Single(r => r.Name == "pool5_1").Output);
        Assert.Equal(60_965_224, rows.Sum(r => r.Parameters));
        Assert.Equal(new TensorShape(1, 1000), rows[^1].Output);
        var pool5 = rows.Single(r => r.Name == "pool5_1");
        Assert.Equal(195, pool5.ReceptiveField);

        // Where fields sit: conv1 cell x sees input 4x..4x+10; pool5's strides multiply to 32 and its first field
        // reaches 64 pixels into the padding of conv2 to conv5.
        Assert.Equal((4, 0), (conv1.Jump, conv1.Start));
        Assert.Equal((8, 18), conv1.FieldOf(2));
        Assert.Equal((32, -64), (pool5.Jump, pool5.Start));
        Assert.Equal((96, 290), pool5.FieldOf(5));
    }

    public void Dispose() => _folder.Dispose();
}
