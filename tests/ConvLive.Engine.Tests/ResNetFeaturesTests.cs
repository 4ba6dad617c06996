// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;
using Onnx;

namespace ConvLive.Engine.Tests;

/// <summary>The ImageNet-trained ResNet-18 featurizer (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18) and its
/// preprocessing graph against ONNX Runtime, every layer.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class ResNetFeaturesTests(DeviceFixture devices)
{
    private static readonly string Models = ResNetPackage.Models;

    [SkippableFact]
    public void PreprocessingAndFeaturesEqualOnnxRuntimeOnEveryLayer()
    {
        var prepPath = Path.Combine(Models, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        var netPath = Path.Combine(Models, "ResNet18Onnx", "ResNet18.onnx");
        Skip.IfNot(File.Exists(netPath), $"the ResNet-18 package is not restored at {Models}");
        var device = devices.Get(DeviceKind.Cpu, out _)!;
        using var backend = Backend.Create(device);

        // An RGB image in 0..255, as the featurizer's preprocessing graph takes it.
        var image = BackendHarness.Random(3 * 224 * 224, 7).Select(v => (v + 1f) * 127.5f).ToArray();
        var prepGraph = OnnxLoader.Load(prepPath);
        var prepProto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(prepPath));
        var prepIn = prepGraph.Inputs[0].Name;
        var prepOut = prepGraph.Outputs[0].Name;
        var prepShape = prepGraph.Inputs[0].Dims!.Select(d => (int)(d ?? 1)).ToArray();
        using var prep = CompiledModel.Compile(prepGraph, backend, new Dictionary<string, TensorShape> { [prepIn] = new(prepShape) });
        prep.SetInput(prepIn, image);
        prep.Run();
        var prepared = new float[prep.ShapeOf(prepOut).Length];
        prep.Read(prepOut, prepared);
        var prepRef = OrtReference.Run(prepProto, prepIn, image, prepShape, [prepOut]);
        Numerics.AssertClose(prepRef[prepOut], prepared, 1e-5, 1e-3, "preprocessing");

        var graph = OnnxLoader.Load(netPath);
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(netPath));
        var input = graph.Inputs[0].Name;
        using var net = CompiledModel.Compile(graph, backend, new Dictionary<string, TensorShape> { [input] = new(1, 3, 224, 224) });
        net.SetInput(input, prepared);
        net.Run();
        var taps = graph.Nodes.SelectMany(n => n.Outputs).Where(o => o.Length > 0).ToList();
        var reference = OrtReference.Run(proto, input, prepared, [1, 3, 224, 224], taps);
        foreach (var tap in taps)
        {
            var ours = new float[net.ShapeOf(tap).Length];
            net.Read(tap, ours);
            Numerics.AssertCloseToReference(reference[tap], ours, $"ResNet-18 tap '{tap}' {net.ShapeOf(tap)}");
        }

        Assert.Equal(new TensorShape(1, 512, 1, 1), net.ShapeOf(graph.Outputs[0].Name));
    }
}
