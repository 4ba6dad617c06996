// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Text.Json;
using ConvLive.Tests;
using ConvLive.Engine.Models;

namespace ConvLive.App.Tests;

/// <summary><c>convlive bench model</c> times ConvLive and ONNX Runtime in one run (figures are never asserted).</summary>
public sealed class BenchCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void BenchModelTimesBothEnginesAndWritesJson()
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Torchvision(seed: 1, width: 0.125), _folder.File("small.onnx"));
        var json = _folder.File("bench.json");

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "bench", "model", "--model", model, "--runs", "5", "--json", json);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var engines = doc.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("engine").GetString()!).ToArray();
        Assert.Equal(["convlive/cpu", "onnxruntime"], engines);
        Assert.All(doc.RootElement.GetProperty("results").EnumerateArray(), r => Assert.True(r.GetProperty("medianMs").GetDouble() > 0));
    }

    [Fact]
    public void BenchWithAModelComparesPeersBreaksConvLiveDownByLayerAndDrawsAChart()
    {
        var model = _folder.File("resnet-like.onnx");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "models", "resnet18", "ResNet18Onnx", "ResNet18.onnx"), model);
        var json = _folder.File("bench.json");
        var png = _folder.File("bench.png");

        var work = _folder.File("work");
        var temp = _folder.File("tmp");
        Directory.CreateDirectory(work);
        Directory.CreateDirectory(temp);
        var environment = new Dictionary<string, string> { ["TMPDIR"] = temp };
        var (exit, output, errors) = ConvLiveProcess.RunIn(work, TimeSpan.FromMinutes(4), environment, null, "bench", "--model", model, "--peers", "ort,opencv", "--runs", "5", "--json", json, "--png", png);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Contains("GFLOP/s fp32 FMA peak", root.GetProperty("machine").GetString(), StringComparison.Ordinal);
        var results = root.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["convlive/cpu", "onnxruntime", "opencv-dnn"], results.Select(r => r.GetProperty("engine").GetString()!).ToArray());
        Assert.Equal(1.0, results[1].GetProperty("ratioToOnnxRuntime").GetDouble(), 6);
        // Effective GFLOP/s count the direct multiply-adds, so Winograd layers can pass the FMA peak (~1.2x here).
        Assert.All(results, r => Assert.InRange(r.GetProperty("shareOfPeak").GetDouble(), 0.001, 3));
        var layers = root.GetProperty("layers").EnumerateArray().ToArray();
        var ops = layers.Select(l => l.GetProperty("op").GetString()!).ToList();
        Assert.True(ops.Count(o => o.StartsWith("Conv", StringComparison.Ordinal)) >= 20);
        Assert.Contains("Conv+Relu", ops);                // bench fuses: Relu in the Conv's epilogue
        Assert.DoesNotContain("BatchNormalization", ops); // and every BatchNormalization folded into its Conv
        Assert.Equal(1.0, layers.Sum(l => l.GetProperty("share").GetDouble()), 3);
        Assert.Contains(layers, l => l.TryGetProperty("label", out var label) && label.GetString() == "layer2.0.downsample"); // readable names beside the ONNX ones

        // ONNX Runtime's own time for the same layers, from its profiler: every convolution ConvLive ran (ONNX
        // Runtime names its fused nodes after the value they write; ConvLive's names are the ONNX nodes').
        var peer = layers.Where(l => l.GetProperty("op").GetString()!.StartsWith("Conv", StringComparison.Ordinal))
            .Select(l => l.GetProperty("onnxRuntimeMs")).ToArray();
        Assert.All(peer, ms => Assert.True(ms.ValueKind == JsonValueKind.Number && ms.GetDouble() > 0, $"onnxRuntimeMs {ms}"));

        // Each convolution's rate from its direct multiply-adds and time, and its share of the peak measured in the
        // run; none for the layers that do not multiply (pools, Relu after an Add).
        foreach (var layer in layers)
        {
            var op = layer.GetProperty("op").GetString()!;
            var (gflops, share) = (layer.GetProperty("gflops"), layer.GetProperty("shareOfPeak"));
            if (op.StartsWith("Conv", StringComparison.Ordinal))
            {
                Assert.InRange(gflops.GetDouble(), 1e-3, 1e4);
                Assert.Equal(gflops.GetDouble() / share.GetDouble(), results[0].GetProperty("gflops").GetDouble() / results[0].GetProperty("shareOfPeak").GetDouble(), 6);
            }
            else if (op is "MaxPool" or "Add" or "Relu" or "GlobalAveragePool")
            {
                Assert.Equal(JsonValueKind.Null, gflops.ValueKind);
            }
        }

        Assert.Contains("onnxruntime's node that writes the same value", output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(work)); // ONNX Runtime's profile went to a temporary folder...
        Assert.DoesNotContain(Directory.GetFileSystemEntries(temp), e => Path.GetFileName(e).StartsWith("convlive-ort-profile", StringComparison.Ordinal)); // ...which was removed
        using var chart = OpenCvSharp.Cv2.ImRead(png);
        Assert.Equal(1000, chart.Width);
    }

    [Fact]
    public void ReducedPrecisionFullyConnectedWeightsAreTimedAndComparedWithFp32()
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Torchvision(seed: 1, width: 0.125), _folder.File("small.onnx"));
        var json = _folder.File("bench.json");

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), "bench", "--model", model, "--runs", "5", "--peers", "none", "--fc-weights", "int8,bf16", "--json", json);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var engines = doc.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("engine").GetString()!).ToArray();
        Assert.Equal(["convlive/cpu", "convlive/cpu fc-int8", "convlive/cpu fc-bf16"], engines);
        var agreements = doc.RootElement.GetProperty("agreements").EnumerateArray().ToArray();
        Assert.Equal(["convlive/cpu fc-int8", "convlive/cpu fc-bf16"], agreements.Select(a => a.GetProperty("engine").GetString()!).ToArray());
        foreach (var a in agreements)
        {
            Assert.Equal(200, a.GetProperty("inputs").GetInt32());
            Assert.InRange(a.GetProperty("top1InTop5").GetDouble(), 0.95, 1.0);
            // Seeded weights give nearly every input the same class, so plain top-1 agreement cannot tell much;
            // the input-specific top-1 can (a broken reduced format agrees about as often as chance).
            Assert.InRange(a.GetProperty("inputSpecificTop1").GetDouble(), 0.9, 1.0);

            // Close to fp32 but not equal: the weights really were rounded.
            var diff = a.GetProperty("maxAbsDiff").GetDouble();
            Assert.InRange(diff, 1e-9, 0.1 * a.GetProperty("maxAbsOutput").GetDouble());
        }

        Assert.Contains("top-1 agreement", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ConvolutionAlgorithmsAndFusionAreTimedAsEnginesAndComparedWithTheFirst()
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Torchvision(seed: 1, width: 0.125), _folder.File("small.onnx"));
        var json = _folder.File("bench.json");
        var choices = new Dictionary<string, string> { ["CONVLIVE_CONV_CHOICES"] = _folder.File("conv-choices.json") };

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), choices, null, "bench", "--model", model, "--runs", "5", "--peers", "none", "--conv", "winograd,direct", "--fuse", "on,off", "--json", json);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var engines = doc.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("engine").GetString()!).ToArray();
        Assert.Equal(["convlive/cpu conv-winograd", "convlive/cpu conv-direct", "convlive/cpu conv-winograd unfused", "convlive/cpu conv-direct unfused"], engines);
        var diffs = doc.RootElement.GetProperty("agreements").EnumerateArray().ToDictionary(
            a => a.GetProperty("engine").GetString()!, a => (Diff: a.GetProperty("maxAbsDiff").GetDouble(), Max: a.GetProperty("maxAbsOutput").GetDouble()));

        // Direct and Winograd convolutions round differently, by far less than the outputs' size; a Relu fused into
        // the convolution's epilogue is the same arithmetic as one run after it: bit for bit equal.
        Assert.InRange(diffs["convlive/cpu conv-direct"].Diff, 1e-12, 1e-4 * diffs["convlive/cpu conv-direct"].Max);
        Assert.Equal(0, diffs["convlive/cpu conv-winograd unfused"].Diff);
        Assert.InRange(diffs["convlive/cpu conv-direct unfused"].Diff, 1e-12, 1e-4 * diffs["convlive/cpu conv-direct unfused"].Max);
    }

    [Fact]
    public void AutoTimesTheConvolutionsWinogradCanComputeAndBenchPrintsWhatItChose()
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Torchvision(seed: 1, width: 0.125), _folder.File("small.onnx"));
        var json = _folder.File("bench.json");
        var file = _folder.File("conv-choices.json");

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), new Dictionary<string, string> { ["CONVLIVE_CONV_CHOICES"] = file }, null, "bench", "--model", model, "--runs", "5", "--peers", "none", "--json", json);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains($"convolution algorithms timed on this machine (kept in {file})", output, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var made = doc.RootElement.GetProperty("convChoices").EnumerateArray().ToList();
        Assert.NotEmpty(made); // conv2 (5×5) to conv5 (3×3) are stride 1 with at least 16 channels in and out
        Assert.All(made, c => Assert.Contains(" k", c.GetProperty("geometry").GetString(), StringComparison.Ordinal));
        Assert.All(made, c =>
        {
            // The fastest candidate is kept, or the direct GEMM where it is within 5% of the fastest.
            var times = c.GetProperty("timings").EnumerateArray().ToDictionary(t => t.GetProperty("algorithm").GetString()!, t => t.GetProperty("ms").GetDouble());
            var chosen = c.GetProperty("algorithm").GetString()!;
            Assert.True(times[chosen] == times.Values.Min() || (chosen == "direct" && times[chosen] <= times.Values.Min() * 1.05), $"{chosen}: {string.Join(", ", times)}");
        });
        Assert.Equal(made.Count, System.Text.Json.JsonSerializer.Deserialize<Engine.Backends.Cpu.ConvChoice[]>(File.ReadAllText(file))!.Length);
        Assert.Contains("memory read bandwidth measured now", output, StringComparison.Ordinal);
    }

    [Fact]
    public void RetimeForgetsTheKeptChoicesAndTimesEachLayerAgain()
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Torchvision(seed: 1, width: 0.125), _folder.File("small.onnx"));
        var file = _folder.File("conv-choices.json");
        var env = new Dictionary<string, string> { ["CONVLIVE_CONV_CHOICES"] = file };
        Assert.Equal(0, ConvLiveProcess.Run(TimeSpan.FromMinutes(3), env, null, "bench", "--model", model, "--runs", "5", "--peers", "none").ExitCode);

        // Mark every kept choice with impossible times: a run that reads the file prints them, --retime does not.
        var kept = System.Text.Json.JsonSerializer.Deserialize<Engine.Backends.Cpu.ConvChoice[]>(File.ReadAllText(file))!;
        Assert.NotEmpty(kept);
        File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(kept.Select(c => c with { Algorithm = "direct", Timings = c.Timings.Select(t => t with { Ms = 9999 }).ToList() }).ToArray()));
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), env, null, "bench", "--model", model, "--runs", "5", "--peers", "none");
        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains("9999.000 ms", output, StringComparison.Ordinal);

        (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), env, null, "bench", "--model", model, "--runs", "5", "--peers", "none", "--retime");

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains("convolution algorithms forgotten", output, StringComparison.Ordinal);
        Assert.DoesNotContain("9999.000 ms", output, StringComparison.Ordinal);
        var timed = System.Text.Json.JsonSerializer.Deserialize<Engine.Backends.Cpu.ConvChoice[]>(File.ReadAllText(file))!;
        Assert.Equal(kept.Length, timed.Length);
        Assert.All(timed, c => Assert.All(c.Timings, t => Assert.True(t.Ms < 9998, $"{c.Geometry} kept its old times")));
    }

    [Fact]
    public void AnUnknownConvolutionAlgorithmIsRefused()
    {
        var (exit, _, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(1), "bench", "--model", "x.onnx", "--conv", "fft");
        Assert.Equal(2, exit);
        Assert.Contains("--conv fft: use auto, direct, winograd or winograd2x2", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownPeerIsRefused()
    {
        var (exit, _, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(1), "bench", "--model", "x.onnx", "--peers", "tflite");
        Assert.Equal(2, exit);
        Assert.Contains("known peers are ort and opencv", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void CountLaunchesWalksAForwardOnTheSimulatorAndPrintsItsLaunchesAndWaits()
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Torchvision(seed: 1, size: 99, width: 0.0625), _folder.File("small.onnx"));
        var json = _folder.File("launches.json");
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "bench", "--model", model, "--count-launches", "--json", json);
        Assert.True(exit == 0, errors);
        var line = output.Split('\n').Single(l => l.StartsWith("convlive/ilgpu-cpu:", StringComparison.Ordinal));
        Assert.Matches(@"convlive/ilgpu-cpu: [1-9][0-9]* kernel launches and 1 host synchronisations a forward", line); // the output's read
        Assert.DoesNotContain("median", output, StringComparison.Ordinal); // nothing timed
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        Assert.True(doc.RootElement.GetProperty("countedWithoutRunning").GetBoolean());
        Assert.True(doc.RootElement.GetProperty("hostCosts")[0].GetProperty("launches").GetInt64() > 0);

        (exit, _, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "bench", "--model", model, "--count-launches", "--device", "cpu");
        Assert.Equal(2, exit);
        Assert.Contains("--count-launches needs an ILGPU device", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownDeviceIsRefusedInsteadOfTimingTheCpu()
    {
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(1), "bench", "--model", "x.onnx", "--device", "cpu", "--device", "none");
        Assert.Equal(2, exit);
        Assert.Contains("--device none: use auto, cpu, cuda", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("median", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void AnAbsentDeviceIsOneLineAndExitCode2()
    {
        Skip.If(File.Exists("/dev/nvidia0"), "this machine has a CUDA device");
        var model = SeededAlexNet.Save(SeededAlexNet.Torchvision(seed: 1, width: 0.125), _folder.File("small.onnx"));
        var (exit, _, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(1), "bench", "--model", model, "--device", "cuda", "--runs", "5");
        Assert.Equal(2, exit);
        Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--device cuda", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", errors, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();
}
