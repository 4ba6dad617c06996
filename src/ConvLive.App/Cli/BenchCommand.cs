// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Benchmarks;
using ConvLive.Engine.Devices;

namespace ConvLive.App.Cli;

/// <summary><c>convlive bench</c>: measured performance, medians and shares of this machine's peak.</summary>
internal static class BenchCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var runs = new Option<int>("--runs") { Description = "Timed runs per shape after warm-up.", DefaultValueFactory = _ => 30 };
        var json = new Option<string?>("--json") { Description = "Also write the figures to this JSON file." };
        var gemm = new Command("gemm", "Time the CPU backend's GEMM on AlexNet's conv shapes and fc6 (OpenBLAS when installed, and the managed SIMD kernel); GFLOP/s and share of the measured FMA peak.")
        {
            runs, json,
        };
        gemm.SetAction(result => RunGemm(Math.Max(3, result.GetValue(runs)), result.GetValue(json)));
        Command ModelCommand(string name, string description, bool modelRequired)
        {
            var model = new Option<string?>("--model") { Description = "The ONNX model (batch 1).", Required = modelRequired };
            var devices = new Option<string[]>("--device") { Description = "ConvLive devices to time (repeatable; default cpu, or ilgpu-cpu with --count-launches)." };
            var peers = new Option<string>("--peers") { Description = "Peers timed in the same run, comma-separated: ort, opencv; or none.", DefaultValueFactory = _ => "ort" };
            var modelRuns = new Option<int>("--runs") { Description = "Timed runs per engine after warm-up.", DefaultValueFactory = _ => 50 };
            var modelJson = new Option<string?>("--json") { Description = "Also write the figures (machine, results, layers) to this JSON file." };
            var png = new Option<string?>("--png") { Description = "Also draw the figures as a PNG chart." };
            var fcWeights = new Option<string>("--fc-weights")
            {
                Description = "Fully connected weight precisions for the cpu device, comma-separated: fp32, bf16, int8. Each is timed as its own engine; "
                    + "reduced ones are also compared with fp32 (top-1 agreement over many inputs).",
                DefaultValueFactory = _ => "fp32",
            };
            var conv = new Option<string>("--conv")
            {
                Description = "Convolution algorithms for the cpu device, comma-separated: auto (where Winograd may pay, the direct GEMM and each Winograd tile "
                    + "timed here at first use and the fastest kept), direct, winograd (F(4x4) tiles; strided layers over few channels, as AlexNet's conv1, on their space-to-depth form), winograd2x2 (F(2x2, 3x3) tiles). "
                    + "Each is timed as its own engine and compared with the first.",
                DefaultValueFactory = _ => "auto",
            };
            var fuse = new Option<string>("--fuse")
            {
                Description = "Graph fusion (BatchNormalization folded into Conv, Relu and a residual Add fused into it), comma-separated: on, off. "
                    + "Each is timed as its own engine and compared with the first.",
                DefaultValueFactory = _ => "on",
            };
            var vectorBits = new Option<string>("--vector-bits")
            {
                Description = "Widest vectors of the cpu device's convolution tiles, comma-separated: 512 (where AVX-512 is accelerated), 256 (AVX2). "
                    + "Each is timed as its own engine; default: the widest here.",
                DefaultValueFactory = _ => string.Empty,
            };
            var backward = new Option<bool>("--backward") { Description = "Time the forward alone against forward + the input gradient of the top class score (explain's cost), per device, and each backward step." };
            var retime = new Option<bool>("--retime") { Description = $"Forget the convolution algorithms timed before (in {CommonOptions.ConvChoicesFile()}) and time each layer again, e.g. after the machine or its load changed." };
            var countLaunches = new Option<bool>("--count-launches")
            {
                Description = "Only count: walk one forward on each ILGPU device (--device ilgpu-cpu, cuda, opencl) without running its kernels and print its kernel "
                    + "launches and host waits, the counts a GPU sees, then stop. For models ILGPU's CPU simulator takes minutes to run (ResNet-18).",
            };
            var command = new Command(name, description) { model, devices, peers, modelRuns, modelJson, png, fcWeights, conv, fuse, vectorBits, backward, retime, countLaunches };
            command.SetAction(r =>
            {
                if (r.GetValue(model) is not { } path)
                {
                    Console.Error.WriteLine("error: give --model M.onnx (or use bench gemm)");
                    return 2;
                }

                var peerList = r.GetValue(peers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
                if (peerList.FirstOrDefault(p => p is not ("ort" or "opencv" or "none")) is { } bad)
                {
                    Console.Error.WriteLine($"error: --peers {bad}: known peers are ort and opencv (or none)");
                    return 2;
                }

                var deviceNames = r.GetValue(devices) is { Length: > 0 } given ? given : [r.GetValue(countLaunches) ? "ilgpu-cpu" : "cpu"];
                if (deviceNames.FirstOrDefault(d => !DeviceKinds.TryParse(d, out _)) is { } unknown)
                {
                    Console.Error.WriteLine($"error: --device {unknown}: use {string.Join(", ", DeviceKinds.Names)} (repeat --device to time several; --peers none times ConvLive alone)");
                    return 2;
                }

                var kinds = deviceNames.Select(CommonOptions.ParseDevice).ToList();
                if (r.GetValue(retime))
                {
                    Engine.Backends.Cpu.CpuBackend.ForgetConvChoices(CommonOptions.ConvChoicesFile());
                    Console.WriteLine($"convolution algorithms forgotten ({CommonOptions.ConvChoicesFile()}): each is timed again");
                }

                if (r.GetValue(countLaunches))
                {
                    return TryParseList(r.GetValue(fuse)!, "--fuse", "on or off", ParseOnOff, true, out var fused)
                        ? ModelBenchmark.CountLaunches(path, kinds, fused, r.GetValue(modelJson))
                        : 2;
                }

                if (r.GetValue(backward))
                {
                    return BackwardBenchmark.Run(path, kinds, Math.Max(5, r.GetValue(modelRuns)), r.GetValue(modelJson));
                }

                if (!TryParseList(r.GetValue(fcWeights)!, "--fc-weights", "fp32, bf16 or int8", WeightPrecisions.TryParse, WeightPrecision.Float32, out var precisions) ||
                    !TryParseList(r.GetValue(conv)!, "--conv", "auto, direct, winograd or winograd2x2", ConvAlgorithms.TryParse, ConvAlgorithm.Auto, out var algorithms) ||
                    !TryParseList(r.GetValue(fuse)!, "--fuse", "on or off", ParseOnOff, true, out var fusions) ||
                    !TryParseList(r.GetValue(vectorBits)!, "--vector-bits", "512 or 256", ParseBits, 0, out var widths))
                {
                    return 2;
                }

                return ModelBenchmark.Run(path, kinds, peerList, Math.Max(5, r.GetValue(modelRuns)), r.GetValue(modelJson), r.GetValue(png), precisions, algorithms, fusions, widths);
            });
            return command;
        }

        var modelCommand = ModelCommand("model", "Time batch-1 forwards of a model: ConvLive on each device and its peers, alternating, in one process (same as bench --model).", modelRequired: true);
        var bench = ModelCommand("bench", "Benchmarks (medians of timed runs on this machine): bench --model M.onnx times a model against ONNX Runtime (and OpenCV DNN); bench gemm times the GEMM kernels.", modelRequired: false);
        bench.Add(gemm);
        bench.Add(modelCommand);
        return bench;
    }

    private delegate bool Parser<T>(string text, out T value);

    /// <summary>A comma-separated option's values, the fallback alone when it names none; false (with one line on
    /// stderr naming the option, the bad value and the known ones) when one is unknown.</summary>
    private static bool TryParseList<T>(string text, string option, string known, Parser<T> parse, T fallback, out List<T> values)
    {
        values = [];
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!parse(item, out var value))
            {
                Console.Error.WriteLine($"error: {option} {item}: use {known}");
                return false;
            }

            values.Add(value);
        }

        if (values.Count == 0)
        {
            values.Add(fallback);
        }

        return true;
    }

    private static bool ParseBits(string text, out int bits)
    {
        bits = text == "512" ? 512 : text == "256" ? 256 : 0;
        return bits != 0;
    }

    private static bool ParseOnOff(string text, out bool on)
    {
        on = text == "on";
        return text is "on" or "off";
    }

    private static int RunGemm(int runs, string? jsonPath)
    {
        using var device = ComputeDevice.Open(DeviceKind.Cpu, null, CommonOptions.ComputeFromEnvironment().Threads);
        var workers = device.Workers!;
        Console.WriteLine($"machine: {Environment.ProcessorCount} threads, {ComputeDevice.CpuSimdName()}; measuring the FMA peak...");
        var peak = FmaPeak.Measure(workers.Size);
        var peakOne = FmaPeak.Measure(1);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fp32 FMA peak: {peak:0.0} GFLOP/s on {workers.Size} threads ({peakOne:0.0} on one){FmaPeakText.Narrower(workers.Size, peak)}"));
        Console.WriteLine($"{"implementation",-32} {"M",6} {"N",6} {"K",6} {"median ms",10} {"min",8} {"max",8} {"GFLOP/s",8} {"of peak",8}");
        var timings = new List<GemmTiming>();
        foreach (var mode in new[] { "tuned", "blas", "managed" })
        {
            foreach (var (m, n, k) in GemmBenchmark.AlexNetShapes)
            {
                var t = GemmBenchmark.Run(m, n, k, runs, workers, mode);
                timings.Add(t);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{t.Implementation,-32} {t.M,6} {t.N,6} {t.K,6} {t.MedianMs,10:0.000} {t.MinMs,8:0.000} {t.MaxMs,8:0.000} {t.Gflops,8:0.0} {t.Gflops / peak,8:P0}"));
            }

        }

        if (jsonPath is not null)
        {
            var doc = new
            {
                machine = $"{Environment.ProcessorCount} threads, {ComputeDevice.CpuSimdName()}",
                peakGflops = peak,
                peakGflopsOneThread = peakOne,
                results = timings.Select(t => new { engine = t.Implementation, t.M, t.N, t.K, medianMs = t.MedianMs, minMs = t.MinMs, maxMs = t.MaxMs, gflops = t.Gflops, shareOfPeak = t.Gflops / peak }),
            };
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(doc, Indented));
        }

        return 0;
    }
}
