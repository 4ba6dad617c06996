// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Vision;

namespace ConvLive.Engine.Tests;

// In the devices collection: it opens ILGPU contexts of its own, kept from running beside the collection's ILGPU
// kernels. (The all-zero read-backs once blamed on that came, most likely, from unpinned host copies: see
// IlgpuBackend.Upload.)
[Collection(DevicesDefinition.Name)]
public sealed class DeviceTests
{
    [Fact]
    public void EveryDeviceNameParsesAndPrintsBackTheSame()
    {
        foreach (var name in DeviceKinds.Names)
        {
            Assert.True(DeviceKinds.TryParse(name, out var kind), name);
            Assert.Equal(name, kind.ToName());
        }

        Assert.False(DeviceKinds.TryParse("gpu", out _));
    }

    [Fact]
    public void AutoOpensAConcreteDeviceAndNamesIt()
    {
        using var device = ComputeDevice.Open(DeviceKind.Auto);
        Assert.NotEqual(DeviceKind.Auto, device.Kind);
        Assert.NotEqual(DeviceKind.Ilgpu, device.Kind);
        Assert.StartsWith(device.Kind.ToName(), device.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void IlgpuTakesAnIlgpuAcceleratorEvenWithoutAGpu()
    {
        using var device = ComputeDevice.Open(DeviceKind.Ilgpu);
        Assert.True(device.IsIlgpu);
        Assert.NotNull(device.Stream);
    }

    [SkippableFact]
    public void AskingForCudaWithoutOneSaysWhatToUseInstead()
    {
        DeviceUnavailableException? error = null;
        try
        {
            using var device = ComputeDevice.Open(DeviceKind.Cuda);
        }
        catch (DeviceUnavailableException e)
        {
            error = e;
        }

        Skip.If(error is null, "this machine has a CUDA device");
        Assert.Contains("--device cpu", error!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    [InlineData(33)]
    public void KernelsOfEvenOrOversizedSidesAreRefused(int size)
    {
        var e = Assert.Throws<ArgumentException>(() => new Kernel2D("bad", size, new float[size * size]));
        Assert.Contains("odd", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LectureKernelsHaveTheLectureWeights()
    {
        Assert.Equal([-1f, 0, 1, -1, 0, 1, -1, 0, 1], Kernel2D.Vertical.Weights.ToArray());
        Assert.Equal([-1f, -1, -1, 0, 0, 0, 1, 1, 1], Kernel2D.Horizontal.Weights.ToArray());
        Assert.Equal(3f, Kernel2D.Vertical.PositiveSum);
    }
}
