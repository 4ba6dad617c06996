// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Devices;

/// <summary>Which compute backend a command runs on; the value of <c>--device</c>.</summary>
public enum DeviceKind
{
    /// <summary>The fastest backend that works here: CUDA, then OpenCL, then the SIMD CPU backend.</summary>
    Auto,

    /// <summary>The managed SIMD CPU backend (Vector512/Vector256, all cores).</summary>
    Cpu,

    /// <summary>ILGPU on the first CUDA device.</summary>
    Cuda,

    /// <summary>ILGPU on the first OpenCL device that ILGPU accepts.</summary>
    OpenCL,

    /// <summary>ILGPU's CPU accelerator: simulates GPU threads; slow, used to test the GPU kernels without a GPU.</summary>
    IlgpuCpu,

    /// <summary>The best ILGPU accelerator: CUDA, then OpenCL, then ILGPU's CPU accelerator.</summary>
    Ilgpu,
}

/// <summary>Parsing and printing of <see cref="DeviceKind"/> as the command line spells it.</summary>
public static class DeviceKinds
{
    /// <summary>The names accepted by <c>--device</c>, in the order help text lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "cpu", "cuda", "opencl", "ilgpu-cpu", "ilgpu"];

    /// <summary>Parses a <c>--device</c> value (case-insensitive).</summary>
    /// <param name="text">One of <see cref="Names"/>.</param>
    /// <param name="kind">The parsed kind; <see cref="DeviceKind.Auto"/> when parsing fails.</param>
    /// <returns>True when <paramref name="text"/> names a device kind.</returns>
    public static bool TryParse(string? text, out DeviceKind kind)
    {
        kind = (text ?? string.Empty).Trim().ToUpperInvariant() switch
        {
            "AUTO" => DeviceKind.Auto,
            "CPU" => DeviceKind.Cpu,
            "CUDA" => DeviceKind.Cuda,
            "OPENCL" => DeviceKind.OpenCL,
            "ILGPU-CPU" => DeviceKind.IlgpuCpu,
            "ILGPU" => DeviceKind.Ilgpu,
            _ => (DeviceKind)(-1),
        };
        if ((int)kind >= 0)
        {
            return true;
        }

        kind = DeviceKind.Auto;
        return false;
    }

    /// <summary>The command-line spelling of a kind, e.g. <c>ilgpu-cpu</c>.</summary>
    /// <param name="kind">The kind to print.</param>
    /// <returns>The name <c>--device</c> accepts for it.</returns>
    public static string ToName(this DeviceKind kind) => kind switch
    {
        DeviceKind.Auto => "auto",
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => "cuda",
        DeviceKind.OpenCL => "opencl",
        DeviceKind.IlgpuCpu => "ilgpu-cpu",
        DeviceKind.Ilgpu => "ilgpu",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown device kind"),
    };
}
