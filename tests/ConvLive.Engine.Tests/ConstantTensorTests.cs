// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Backends.Cpu;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests;

/// <summary>A compiled model's weights: constant, held once on the CPU backend, and still exact.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class ConstantTensorTests(DeviceFixture devices) : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void TheCpuBackendSharesTheLoadedWeightsInsteadOfCopyingThem()
    {
        var path = SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 2, size: 67, width: 0.0625), _folder.File("small.onnx"));
        var graph = OnnxLoader.Load(path);
        using var backend = Backend.Create(devices.Get(DeviceKind.Cpu, out _)!);
        using var model = CompiledModel.Compile(graph, backend);

        var weights = graph.Initializers.Where(i => i.Value.Type == ElementType.Float32).ToList();
        Assert.NotEmpty(weights);
        foreach (var (name, value) in weights)
        {
            var tensor = (CpuTensor)model.Tensor(name);
            Assert.True(tensor.IsConstant, name);
            Assert.Same(value.Floats, tensor.Data);
        }

        var conv1 = model.Tensor("conv1_w_0");
        var e = Assert.Throws<InvalidOperationException>(() => backend.Upload(conv1, new float[conv1.Length]));
        Assert.Contains("cannot be uploaded into", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();
}
