// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends.Cpu;
using ConvLive.Engine.Backends.Ilgpu;
using ConvLive.Engine.Devices;

namespace ConvLive.Engine.Backends;

/// <summary>Creates the backend that fits an opened device.</summary>
public static class Backend
{
    /// <summary>The SIMD CPU backend for <see cref="DeviceKind.Cpu"/>, the ILGPU backend otherwise.</summary>
    /// <param name="device">The device; not owned by the backend.</param>
    /// <returns>The backend; the caller owns it.</returns>
    public static IBackend Create(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.IsIlgpu ? new IlgpuBackend(device) : new CpuBackend(device);
    }
}
