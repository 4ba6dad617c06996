// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;

namespace ConvLive.App.Cli;

/// <summary>Options every command shares.</summary>
internal static class CommonOptions
{
    /// <summary><c>--device auto|cpu|cuda|opencl|ilgpu-cpu|ilgpu</c>.</summary>
    public static Option<string> Device()
    {
        var option = new Option<string>("--device")
        {
            Description = "Compute backend: auto (fastest that works: cuda, opencl, then cpu), cpu (SIMD), cuda, opencl, ilgpu-cpu (ILGPU's CPU simulator), ilgpu (best ILGPU accelerator).",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong([.. DeviceKinds.Names]);
        return option;
    }

    public static DeviceKind ParseDevice(string value) =>
        DeviceKinds.TryParse(value, out var kind) ? kind : DeviceKind.Auto;

    /// <summary><c>--fc-weights fp32|bf16|int8</c>: how the cpu backend keeps fully connected weights.</summary>
    public static Option<string> FcWeights()
    {
        var option = new Option<string>("--fc-weights")
        {
            Description = "Fully connected weights on the cpu device: fp32 (exact), bf16 (half the bytes) or int8 (a quarter; one scale per row). "
                + "Reduced precision speeds up batch-1 fully connected layers, which stream all their weights every frame.",
            DefaultValueFactory = _ => "fp32",
        };
        option.AcceptOnlyFromAmong("fp32", "bf16", "int8");
        return option;
    }
}
