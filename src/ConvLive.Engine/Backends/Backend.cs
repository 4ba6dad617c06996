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
    /// <param name="options">How it runs; null for <see cref="BackendOptions.Default"/>.</param>
    /// <param name="report">Receives one line for each option the device cannot honour; may be null.</param>
    /// <returns>The backend; the caller owns it.</returns>
    public static IBackend Create(ComputeDevice device, BackendOptions? options = null, Action<string>? report = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        options ??= BackendOptions.Default;
        if (!device.IsIlgpu)
        {
            if (options.VectorBits >= 512 && !Cpu.ConvTile.WideAvailable)
            {
                report?.Invoke($"512-bit vectors are not accelerated on this CPU ({ComputeDevice.CpuSimdName()}): the convolutions use 256-bit tiles");
            }

            return new CpuBackend(device, options);
        }

        var kind = device.Kind.ToName();
        if (options.FullyConnectedWeights != WeightPrecision.Float32)
        {
            report?.Invoke($"fully connected weights stay fp32 on {kind}: {options.FullyConnectedWeights.ToName()} weights are a cpu device option");
        }

        if (options.ConvAlgorithm != ConvAlgorithm.Auto)
        {
            report?.Invoke($"convolutions on {kind} use its own kernels: --conv {options.ConvAlgorithm.ToName()} is a cpu device option");
        }

        if (options.Blas != BlasUse.Auto)
        {
            report?.Invoke($"{kind} does not use OpenBLAS: the BLAS choice is a cpu device option");
        }

        return new IlgpuBackend(device);
    }
}
