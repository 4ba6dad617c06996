// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;

namespace ConvLive.Engine.Vision;

/// <summary>Creates the <see cref="IFrameFilter"/> that fits a device.</summary>
public static class FrameFilters
{
    /// <summary>An ILGPU filter on ILGPU devices, the SIMD filter on the CPU backend.</summary>
    /// <param name="device">The opened device; not owned by the filter.</param>
    /// <returns>A new filter; the caller owns it.</returns>
    public static IFrameFilter Create(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.IsIlgpu ? new IlgpuFrameFilter(device) : new CpuFrameFilter(device);
    }
}
