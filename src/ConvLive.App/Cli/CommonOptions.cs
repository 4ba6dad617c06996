// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
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
}
