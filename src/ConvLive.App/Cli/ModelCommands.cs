// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Graph;
using ConvLive.Engine.IO;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Tensors;

namespace ConvLive.App.Cli;

/// <summary><c>convlive infer</c> and <c>convlive inspect</c>: a model on its own, outside the live loop.</summary>
internal static class ModelCommands
{
    public static Command Infer()
    {
        var model = new Option<string>("--model") { Description = "The ONNX model.", Required = true };
        var input = new Option<string>("--input") { Description = "The input array (.npy, float32 C order; float64/int/uint8 are converted).", Required = true };
        var output = new Option<string>("--output") { Description = "Where to write the first graph output (.npy, float32).", Required = true };
        var taps = new Option<string?>("--taps") { Description = "Also write every node's output as DIR/<value>.npy." };
        var profile = new Option<int>("--profile") { Description = "Also time every node over N runs and print medians." };
        var device = CommonOptions.Device();
        var command = new Command("infer", "Run a model once on an array and write its output (and, with --taps, every layer's).")
        {
            model, input, output, taps, device, profile,
        };
        command.SetAction(r => RunInfer(r.GetValue(model)!, r.GetValue(input)!, r.GetValue(output)!, r.GetValue(taps), CommonOptions.ParseDevice(r.GetValue(device)!), r.GetValue(profile)));
        return command;
    }

    public static Command Inspect()
    {
        var model = new Option<string>("--model") { Description = "The ONNX model.", Required = true };
        var size = new Option<int?>("--input-size") { Description = "Square input size H (= W) to count at, e.g. 227." };
        var command = new Command("inspect", "Per layer: op, output shape, parameters, computations (parameters x output positions), receptive field; totals.")
        {
            model, size,
        };
        command.SetAction(r => RunInspect(r.GetValue(model)!, r.GetValue(size)));
        return command;
    }

    private static int RunInfer(string modelPath, string inputPath, string outputPath, string? tapsDir, DeviceKind kind, int profileRuns)
    {
        try
        {
            var graph = OnnxLoader.Load(modelPath);
            var x = NpyFile.Read(inputPath);
            var floatInputs = graph.Inputs.Where(i => i.Type == ElementType.Float32).ToList();
            if (floatInputs.Count != 1)
            {
                Console.Error.WriteLine($"error: {modelPath}: infer takes models with one float input; this one has {floatInputs.Count} ({string.Join(", ", floatInputs.Select(i => i.Name))})");
                return 2;
            }

            var declared = floatInputs[0];
            if (declared.Dims is { } dims && (dims.Count != x.Shape.Rank || dims.Where((d, i) => d is { } v && v != x.Shape[i]).Any()))
            {
                var want = string.Join('x', dims.Select(d => d?.ToString(CultureInfo.InvariantCulture) ?? "?"));
                Console.Error.WriteLine($"error: {inputPath}: holds {x.Shape}, but input '{declared.Name}' of {modelPath} expects {want}");
                return 2;
            }

            var (device, backend) = CommonOptions.OpenBackend(kind);
            using var ownedDevice = device;
            using var ownedBackend = backend;
            using var compiled = CompiledModel.Compile(graph, backend, new Dictionary<string, TensorShape> { [declared.Name] = x.Shape });
            compiled.SetInput(declared.Name, x.Data);
            var watch = Stopwatch.StartNew();
            compiled.Run();
            var outputName = graph.Outputs[0].Name;
            var result = new float[compiled.ShapeOf(outputName).Length];
            compiled.Read(outputName, result);
            var ms = watch.Elapsed.TotalMilliseconds;
            NpyFile.Write(outputPath, compiled.ShapeOf(outputName), result);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{outputName} {compiled.ShapeOf(outputName)} -> {outputPath} ({ms:0.0} ms on {backend.Name})"));
            if (profileRuns > 0)
            {
                var rows = compiled.Profile(profileRuns);
                foreach (var (node, op, median) in rows)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{node,-40} {op,-18} {median,9:0.000} ms"));
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"sum of medians",-40} {string.Empty,-18} {rows.Sum(r => r.MedianMs),9:0.000} ms"));
            }

            if (tapsDir is not null)
            {
                var written = 0;
                foreach (var name in compiled.ValueNames.Skip(graph.Inputs.Count))
                {
                    if (compiled.IsHostValue(name))
                    {
                        continue;
                    }

                    var values = new float[compiled.ShapeOf(name).Length];
                    compiled.Read(name, values);
                    NpyFile.Write(Path.Combine(tapsDir, SafeName(name) + ".npy"), compiled.ShapeOf(name), values);
                    written++;
                }

                Console.WriteLine($"taps: {written} arrays in {tapsDir}");
            }

            return 0;
        }
        catch (Exception e) when (e is ModelException or NpyException or DeviceUnavailableException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static int RunInspect(string modelPath, int? size)
    {
        IReadOnlyList<LayerInfo> rows;
        try
        {
            rows = ModelInspector.Inspect(OnnxLoader.Load(modelPath), size);
        }
        catch (ModelException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"{"layer",-24} {"op",-18} {"output (C×H×W)",-16} {"parameters",14} {"computations",18} {"receptive field",16}");
        foreach (var r in rows)
        {
            var shape = r.Output.Rank == 4 ? $"{r.Output[1]}×{r.Output[2]}×{r.Output[3]}" : string.Join('×', r.Output.Dims.ToArray()[1..]);
            var field = r.ReceptiveField > 0 ? $"{r.ReceptiveField}×{r.ReceptiveField}" : "-";
            Console.WriteLine(string.Create(c, $"{Clip(r.Name, 24),-24} {r.Op,-18} {shape,-16} {r.Parameters,14:N0} {r.Computations,18:N0} {field,16}"));
        }

        Console.WriteLine(string.Create(c, $"{"total",-24} {string.Empty,-18} {string.Empty,-16} {rows.Sum(r => r.Parameters),14:N0} {rows.Sum(r => r.Computations),18:N0}"));
        return 0;
    }

    private static string Clip(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";

    private static string SafeName(string name) =>
        string.Concat(name.Select(ch => char.IsLetterOrDigit(ch) || ch is '_' or '-' or '.' ? ch : '_'));
}
