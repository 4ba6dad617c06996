// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Explain;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Tensors;

namespace ConvLive.App.Cli;

/// <summary><c>bench --backward</c>: the forward alone against the forward plus the input gradient of the top
/// class score (what <c>explain --method gradient</c> costs), alternating in one process, per device; then each
/// backward step's own median.</summary>
internal static class BackwardBenchmark
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static int Run(string modelPath, IReadOnlyList<DeviceKind> devices, int runs, string? jsonPath)
    {
        if (!ModelBenchmark.TryLoad(modelPath, out var graph, out var input, out var dims))
        {
            return 2;
        }
        var x = new float[dims.Aggregate(1, (a, b) => a * b)];
        BenchAgreement.SmoothImage(x, dims, seed: 1);
        var c = CultureInfo.InvariantCulture;
        var results = new List<object>();
        Console.WriteLine($"model: {modelPath}, machine: {Environment.ProcessorCount} threads, {ComputeDevice.CpuSimdName()}; {runs} alternating runs after 3 warm-up");
        Console.WriteLine($"{"device",-12} {"forward ms",11} {"fwd+grad ms",12} {"ratio",7} {"backward alone",15}");
        foreach (var kind in devices)
        {
            try
            {
                var (device, backend) = CommonOptions.OpenBackend(kind);
                using var ownedDevice = device;
                using var ownedBackend = backend;
                using var model = CompiledModel.Compile(graph, backend, new Dictionary<string, TensorShape> { [input.Name] = new(dims) });
                var score = Explainer.ScoreValue(graph);
                using var program = GradientProgram.Create(model, score, [input.Name]);
                model.SetInput(input.Name, x);
                program.SeedElement(0);
                var output = new float[model.ShapeOf(graph.Outputs[0].Name).Length];
                var gradient = new float[x.Length];
                double[] forward = new double[runs], both = new double[runs];
                for (var r = -3; r < runs; r++)
                {
                    var start = Stopwatch.GetTimestamp();
                    model.Run();
                    model.Read(graph.Outputs[0].Name, output);
                    var mid = Stopwatch.GetTimestamp();
                    model.Run();
                    program.Run();
                    program.Read(input.Name, gradient);
                    var end = Stopwatch.GetTimestamp();
                    if (r >= 0)
                    {
                        forward[r] = Stopwatch.GetElapsedTime(start, mid).TotalMilliseconds;
                        both[r] = Stopwatch.GetElapsedTime(mid, end).TotalMilliseconds;
                    }
                }

                double f = Median(forward), b = Median(both);
                Console.WriteLine(string.Create(c, $"{device.Kind.ToName(),-12} {f,11:0.00} {b,12:0.00} {b / f,6:0.00}x {b - f,12:0.00} ms"));
                var steps = program.Profile(Math.Max(3, runs / 2));
                var total = steps.Sum(s => s.MedianMs);
                Console.WriteLine(string.Create(c, $"  backward per node (median of {Math.Max(3, runs / 2)} runs, nodes over 2% of the sum {total:0.00} ms):"));
                foreach (var (node, op, ms) in steps.Where(s => s.MedianMs >= 0.02 * total))
                {
                    Console.WriteLine(string.Create(c, $"    {node,-28} {op,-20} {ms,8:0.000} {ms / total,7:P1}"));
                }

                var byOp = steps.GroupBy(s => s.Op).Select(g => (Op: g.Key, Ms: g.Sum(s => s.MedianMs))).OrderByDescending(g => g.Ms);
                Console.WriteLine("  by op: " + string.Join(", ", byOp.Select(g => string.Create(c, $"{g.Op} {g.Ms:0.00} ms"))));
                results.Add(new { device = device.Kind.ToName(), forwardMs = f, forwardAndGradientMs = b, ratio = b / f, backwardSteps = steps.Select(s => new { node = s.Node, op = s.Op, medianMs = s.MedianMs }) });
            }
            catch (Exception e) when (e is DeviceUnavailableException or ModelException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        }

        if (jsonPath is not null)
        {
            var doc = new { machine = $"{Environment.ProcessorCount} threads, {ComputeDevice.CpuSimdName()}", model = modelPath, date = DateTime.UtcNow.ToString("yyyy-MM-dd", c), runs, results };
            Engine.IO.AtomicFile.WriteAllBytes(jsonPath, JsonSerializer.SerializeToUtf8Bytes(doc, Indented));
        }

        return 0;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
