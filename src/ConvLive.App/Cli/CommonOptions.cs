// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
using System.Globalization;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Models;

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

    /// <summary>
    /// The engine's tunables from the environment, read here and nowhere else: <c>CONVLIVE_THREADS=N</c> (the cpu
    /// backend's worker threads) and <c>CONVLIVE_NO_BLAS=1</c> (the managed GEMM only, even where OpenBLAS is installed).
    /// </summary>
    /// <returns>The options; the rest at their defaults.</returns>
    public static BackendOptions ComputeFromEnvironment() => new()
    {
        Threads = int.TryParse(Environment.GetEnvironmentVariable("CONVLIVE_THREADS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 0,
        Blas = Environment.GetEnvironmentVariable("CONVLIVE_NO_BLAS") == "1" ? BlasUse.Off : BlasUse.Auto,
        VectorBits = int.TryParse(Environment.GetEnvironmentVariable("CONVLIVE_VECTOR_BITS"), NumberStyles.None, CultureInfo.InvariantCulture, out var bits) ? bits : 0,
        ConvChoicesFile = ConvChoicesFile(),
    };

    /// <summary>Where the cpu backend keeps the convolution algorithms it timed: <c>CONVLIVE_CONV_CHOICES</c> when set,
    /// else <c>conv-choices.json</c> beside the user's models folder.</summary>
    public static string ConvChoicesFile() =>
        Environment.GetEnvironmentVariable("CONVLIVE_CONV_CHOICES") is { Length: > 0 } file ? file
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(UserModelsFolder())) ?? ".", "conv-choices.json");

    /// <summary><c>CONVLIVE_FAULT_AFTER_FRAMES=N</c>: tests make the accelerator fail at inference frame N (0: never).</summary>
    /// <returns>N, or 0.</returns>
    public static int FaultAfterFramesFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("CONVLIVE_FAULT_AFTER_FRAMES"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>Opens a device and its backend with <paramref name="options"/> (the environment's when null); options
    /// the device cannot honour are said once, on standard error.</summary>
    /// <param name="kind">The device asked for.</param>
    /// <param name="options">How the backend runs, or null.</param>
    /// <returns>The device and backend; the caller owns both (dispose the backend first).</returns>
    /// <exception cref="DeviceUnavailableException">The device is not available here.</exception>
    public static (ComputeDevice Device, IBackend Backend) OpenBackend(DeviceKind kind, BackendOptions? options = null)
    {
        options ??= ComputeFromEnvironment();
        var device = ComputeDevice.Open(kind, null, options.Threads);
        try
        {
            return (device, Backend.Create(device, options, line => Console.Error.WriteLine($"note: {line}")));
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>The user's models folder: <c>CONVLIVE_MODELS</c> when set, else the platform's data folder.</summary>
    public static string UserModelsFolder() =>
        Environment.GetEnvironmentVariable("CONVLIVE_MODELS") is { Length: > 0 } custom ? custom : ModelCatalog.DefaultUserFolder;

    /// <summary>The models beside the app and in <see cref="UserModelsFolder"/>.</summary>
    public static ModelCatalog Catalog() => ModelCatalog.Default(UserModelsFolder());
}
