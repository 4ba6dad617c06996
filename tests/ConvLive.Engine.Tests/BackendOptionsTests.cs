// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;

namespace ConvLive.Engine.Tests;

/// <summary>Typed backend options: fixed at creation, honoured by the cpu backend, reported once where a device cannot.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class BackendOptionsTests(DeviceFixture devices)
{
    [Fact]
    public void TheCpuBackendTakesEveryOptionItIsGiven()
    {
        var options = new BackendOptions { FullyConnectedWeights = WeightPrecision.Int8, ConvAlgorithm = ConvAlgorithm.Direct, Blas = BlasUse.Off };
        var notes = new List<string>();
        using var backend = Backend.Create(devices.Get(DeviceKind.Cpu, out _)!, options, notes.Add);

        Assert.Empty(notes);
        Assert.Equal(WeightPrecision.Int8, backend.Options.FullyConnectedWeights);
        Assert.Equal(ConvAlgorithm.Direct, backend.Options.ConvAlgorithm);
        Assert.Contains("managed packed SIMD", backend.Name, StringComparison.Ordinal);
        Assert.Equal(devices.Get(DeviceKind.Cpu, out _)!.Workers!.Size, backend.Options.Threads);
    }

    [Fact]
    public void TheConvolutionTilesAreTheWidestHereUnless256BitsAreAskedFor()
    {
        var device = devices.Get(DeviceKind.Cpu, out _)!;
        using var widest = Backend.Create(device, BackendOptions.Default);
        using var narrow = Backend.Create(device, new BackendOptions { VectorBits = 256 });

        Assert.Contains(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "conv tiles: 512-bit" : "conv tiles: 256-bit", widest.Name, StringComparison.Ordinal);
        Assert.Contains("conv tiles: 256-bit", narrow.Name, StringComparison.Ordinal);
        Assert.False(narrow.Options.WideTiles);
    }

    [SkippableFact]
    public void AnIlgpuDeviceSaysOnceWhichOptionsItCannotHonour()
    {
        var device = devices.Get(DeviceKind.IlgpuCpu, out var why);
        Skip.If(device is null, why);
        var notes = new List<string>();
        using var backend = Backend.Create(device!, new BackendOptions { FullyConnectedWeights = WeightPrecision.BFloat16, ConvAlgorithm = ConvAlgorithm.Winograd }, notes.Add);

        Assert.Equal(2, notes.Count);
        Assert.Contains(notes, n => n.Contains("fully connected weights stay fp32 on ilgpu-cpu", StringComparison.Ordinal) && n.Contains("bf16", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.Contains("--conv winograd is a cpu device option", StringComparison.Ordinal));
        Assert.Equal(WeightPrecision.Float32, backend.Options.FullyConnectedWeights);
    }

    [Fact]
    public void ThreadsAreGivenWhenTheCpuDeviceOpens()
    {
        using var device = ComputeDevice.Open(DeviceKind.Cpu, null, threads: 1);
        Assert.Equal(1, device.Workers!.Size);
        Assert.Contains("1 threads", device.Name, StringComparison.Ordinal);
    }
}
