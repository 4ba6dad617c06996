// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.IO;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Teaching;
using ConvLive.Engine.Vision;
using ConvLive.Capture;
using Command = System.CommandLine.Command;

namespace ConvLive.App.Cli;

/// <summary><c>convlive filter</c>: one kernel over a grey image with the lecture's stride, padding, activation and pooling.</summary>
internal static class FilterCommand
{
    public static Command Create()
    {
        var kernel = new System.CommandLine.Option<string>("--kernel") { Description = $"{string.Join(", ", Kernel2D.Named.Select(k => k.Name))}, or a text file of K lines of K numbers (K odd).", Required = true };
        var input = new System.CommandLine.Option<string>("--input") { Description = "An image; it is read as grey, values / 255.", Required = true };
        var outputNpy = new System.CommandLine.Option<string>("--output-npy") { Description = "The feature map, float32 H×W.", Required = true };
        var outputPng = new System.CommandLine.Option<string?>("--output-png") { Description = "The feature map as an image (min to max as 0 to 255)." };
        var stride = new System.CommandLine.Option<int>("--stride") { DefaultValueFactory = _ => 1, Description = "Stride S." };
        var padding = new System.CommandLine.Option<int>("--padding") { DefaultValueFactory = _ => 0, Description = "Zero padding P on every side." };
        var mode = new System.CommandLine.Option<string>("--mode") { DefaultValueFactory = _ => "correlation", Description = "correlation (CNN libraries) or convolution (the lecture's formula: the kernel flipped)." };
        mode.AcceptOnlyFromAmong("correlation", "convolution");
        var activation = new System.CommandLine.Option<string>("--activation") { DefaultValueFactory = _ => "none", Description = "none, relu or tanh." };
        activation.AcceptOnlyFromAmong("none", "relu", "tanh");
        var pool = new System.CommandLine.Option<string?>("--pool") { Description = "max, avg or l2 pooling after the activation." };
        pool.AcceptOnlyFromAmong("max", "avg", "l2");
        var poolSize = new System.CommandLine.Option<int>("--pool-size") { DefaultValueFactory = _ => 2, Description = "Pooling window K." };
        var poolStride = new System.CommandLine.Option<int>("--pool-stride") { DefaultValueFactory = _ => 2, Description = "Pooling stride S." };
        var device = CommonOptions.Device();
        var command = new Command("filter", "Apply one kernel to a grey image and print the output-size arithmetic (N - K + 2P)/S + 1 with the numbers filled in.")
        {
            kernel, input, outputNpy, outputPng, stride, padding, mode, activation, pool, poolSize, poolStride, device,
        };
        command.SetAction(r =>
        {
            Kernel2D k;
            try
            {
                var name = r.GetValue(kernel)!;
                k = Kernel2D.Named.FirstOrDefault(n => n.Name == name)
                    ?? (File.Exists(name) ? Kernel2D.FromFile(name) : throw new FormatException($"--kernel {name}: not a kernel name ({string.Join(", ", Kernel2D.Named.Select(n => n.Name))}) nor a file"));
            }
            catch (Exception e) when (e is FormatException or ArgumentException or IOException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            var settings = new FilterSettings(
                k,
                r.GetValue(stride),
                r.GetValue(padding),
                r.GetValue(mode) == "convolution",
                r.GetValue(activation) switch { "relu" => ActivationKind.Relu, "tanh" => ActivationKind.Tanh, _ => null },
                r.GetValue(pool) switch { "max" => PoolKind.Max, "avg" => PoolKind.Average, "l2" => PoolKind.L2, _ => null },
                r.GetValue(poolSize),
                r.GetValue(poolStride));
            return Run(r.GetValue(input)!, r.GetValue(outputNpy)!, r.GetValue(outputPng), settings, CommonOptions.ParseDevice(r.GetValue(device)!));
        });
        return command;
    }

    private static int Run(string inputPath, string npyPath, string? pngPath, FilterSettings settings, DeviceKind kind)
    {
        var bytes = ImageFile.DecodeGrey(inputPath, out var w, out var h);
        if (bytes is null)
        {
            Console.Error.WriteLine($"error: {inputPath}: not found or not an image OpenCV can decode (png, jpg, bmp, tif, webp)");
            return 2;
        }

        FilterArithmetic arithmetic;
        try
        {
            arithmetic = FeatureMapFilter.Arithmetic(h, w, settings);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        Console.WriteLine($"input {h}x{w} (grey / 255), kernel {settings.Kernel} as {(settings.Convolution ? "convolution (flipped)" : "cross-correlation")}, stride {settings.Stride}, padding {settings.Padding}:");
        foreach (var line in arithmetic.Lines)
        {
            Console.WriteLine(line);
        }

        var (device, backend) = CommonOptions.OpenBackend(kind);
        using var ownedDevice = device;
        using var ownedBackend = backend;
        var grey = bytes.Select(b => b / 255f).ToArray();
        var map = FeatureMapFilter.Run(backend, grey, h, w, settings);
        NpyFile.Write(npyPath, map.Shape, map.Data);
        Console.WriteLine($"output {map.Shape[0]}x{map.Shape[1]} -> {npyPath} (on {backend.Name})");
        if (pngPath is not null)
        {
            Pictures.WriteGreyPng(pngPath, map.Data, map.Shape[1], map.Shape[0]);
            Console.WriteLine($"image -> {pngPath} (min..max as 0..255)");
        }

        return 0;
    }
}
