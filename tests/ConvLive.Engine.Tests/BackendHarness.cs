// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Tests;

/// <summary>Runs single ops on a backend with host arrays in and out.</summary>
internal sealed class BackendHarness(IBackend backend) : IDisposable
{
    private readonly List<DeviceTensor> _tensors = [];

    public IBackend Backend { get; } = backend;

    public static TheoryData<string> Devices => new() { "cpu", "ilgpu-cpu", "cuda" };

    /// <summary>Every device with every case name, for theories over both.</summary>
    public static TheoryData<string, string> DevicesAnd(IEnumerable<string> cases)
    {
        var data = new TheoryData<string, string>();
        foreach (var device in new[] { "cpu", "ilgpu-cpu", "cuda" })
        {
            foreach (var name in cases)
            {
                data.Add(device, name);
            }
        }

        return data;
    }

    /// <summary>Opens a backend on <paramref name="deviceName"/>: a device kind, or <c>ilgpu-warp32</c> (ILGPU's
    /// simulator shaped like a GPU: the kernels with the tiles and warps they get on CUDA).</summary>
    public static BackendHarness Open(DeviceFixture devices, string deviceName, BackendOptions? options = null)
    {
        if (deviceName == "ilgpu-warp32")
        {
            return new BackendHarness(Engine.Backends.Backend.Create(devices.Warp32, options));
        }

        Assert.True(DeviceKinds.TryParse(deviceName, out var kind));
        var device = devices.Get(kind, out var why);
        Skip.If(device is null, $"{deviceName} is not available here: {why}");
        return new BackendHarness(Engine.Backends.Backend.Create(device!, options));
    }

    public static float[] Random(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => ((float)random.NextDouble() - 0.5f) * 2f * scale).ToArray();
    }

    public DeviceTensor Upload(float[] values, params int[] dims)
    {
        var t = Backend.Allocate(new TensorShape(dims));
        Backend.Upload(t, values);
        _tensors.Add(t);
        return t;
    }

    public DeviceTensor Empty(TensorShape shape)
    {
        var t = Backend.Allocate(shape);
        _tensors.Add(t);
        return t;
    }

    public float[] Download(DeviceTensor t)
    {
        var values = new float[t.Length];
        Backend.Download(values, t);
        return values;
    }

    public void Dispose()
    {
        foreach (var t in _tensors)
        {
            t.Dispose();
        }

        Backend.Dispose();
    }
}
