// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;

namespace ConvLive.Engine.Tests;

/// <summary>Opens each device kind once for the whole test run (ILGPU contexts are costly to make).</summary>
public sealed class DeviceFixture : IDisposable
{
    private readonly Dictionary<DeviceKind, ComputeDevice?> _devices = [];
    private readonly Dictionary<DeviceKind, string> _why = [];
    private readonly Lock _gate = new();
    private ComputeDevice? _warp32;

    /// <summary>ILGPU's CPU simulator shaped like a GPU (32-thread warps, 256 threads a group), so the ILGPU kernels
    /// run here with the tiles, warps and shuffles they get on CUDA. Two simulated multiprocessors (each is 256 OS
    /// threads), whatever the core count. Opened on first use.</summary>
    public ComputeDevice Warp32
    {
        get
        {
            lock (_gate)
            {
                return _warp32 ??= ComputeDevice.OpenIlgpuCpu(threadsPerWarp: 32, warpsPerGroup: 8, multiprocessors: 2);
            }
        }
    }

    /// <summary>The device, or null (with the reason in <paramref name="why"/>) when this machine lacks it.</summary>
    public ComputeDevice? Get(DeviceKind kind, out string why)
    {
        lock (_gate)
        {
            if (!_devices.TryGetValue(kind, out var device))
            {
                try
                {
                    device = ComputeDevice.Open(kind);
                }
                catch (DeviceUnavailableException e)
                {
                    _why[kind] = e.Message;
                    device = null;
                }

                _devices[kind] = device;
            }

            why = _why.GetValueOrDefault(kind, string.Empty);
            return device;
        }
    }

    public void Dispose()
    {
        _warp32?.Dispose();
        foreach (var device in _devices.Values)
        {
            device?.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DevicesDefinition : ICollectionFixture<DeviceFixture>
{
    public const string Name = "devices";
}
