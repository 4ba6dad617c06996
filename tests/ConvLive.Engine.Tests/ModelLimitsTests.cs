// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Onnx;
using ConvLive.Tests;
using ConvLive.Engine.Models;

namespace ConvLive.Engine.Tests;

/// <summary>Absurd shapes fail with a message before anything is allocated.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class ModelLimitsTests(DeviceFixture devices) : IDisposable
{
    private readonly TempFolder _folder = new();

    [Theory]
    [InlineData(20_000, "GiB of tensors")]
    [InlineData(60_000, "more than 2,147,483,647 elements")]
    public void AHugeInputIsRefusedBeforeAllocating(int size, string expected)
    {
        var proto = SeededAlexNet.Zoo(seed: 1, width: 0.125);
        foreach (var dim in proto.Graph.Input[0].Type.TensorType.Shape.Dim.Skip(2))
        {
            dim.DimValue = size;
        }

        var graph = OnnxLoader.Load(SeededAlexNet.Save(proto, _folder.File("huge.onnx")));
        using var backend = Backend.Create(devices.Get(DeviceKind.Cpu, out _)!);
        var before = GC.GetTotalMemory(forceFullCollection: true);

        var e = Assert.ThrowsAny<ModelException>(() => CompiledModel.Compile(graph, backend));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetTotalMemory(forceFullCollection: true) - before < (512L << 20), "memory grew by more than 512 MB before the refusal");
    }

    public void Dispose() => _folder.Dispose();
}
