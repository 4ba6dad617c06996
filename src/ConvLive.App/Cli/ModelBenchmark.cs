// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ConvLive.App.Cli;

/// <summary>
/// <c>convlive bench model</c>: batch-1 forwards of one model by each engine in the same process, alternating
/// engines run by run after a warm-up, so every engine sees the same machine state. Medians, min, max, ratio to
/// ONNX Runtime, GFLOP/s and a per-layer breakdown for ConvLive.
/// </summary>
internal static class ModelBenchmark
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Run(string modelPath, IReadOnlyList<DeviceKind> devices, bool withOrt, int runs, string? jsonPath)
    {
        ModelGraph graph;
        try
        {
            graph = OnnxLoader.Load(modelPath);
        }
        catch (ModelException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        var input = graph.Inputs.First(i => i.Type == ElementType.Float32);
        var dims = input.Dims?.Select(d => (int)(d ?? 1)).ToArray() ?? [1, 3, 224, 224];
        var x = new float[dims.Aggregate(1, (a, b) => a * b)];
        var random = new Random(1);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble();
        }

        var macs = ModelInspector.Inspect(graph).Sum(r => r.Computations);
        var engines = new List<(string Name, Action Forward, IDisposable Owner)>();
        try
        {
            foreach (var kind in devices)
            {
                var device = ComputeDevice.Open(kind);
                var backend = Backend.Create(device);
                var model = CompiledModel.Compile(graph, backend, new Dictionary<string, TensorShape> { [input.Name] = new(dims) });
                model.SetInput(input.Name, x);
                var output = new float[model.ShapeOf(graph.Outputs[0].Name).Length];
                engines.Add(($"convlive/{device.Kind.ToName()}", () =>
                {
                    model.Run();
                    model.Read(graph.Outputs[0].Name, output);
                }, new Owned(model, backend, device)));
            }

            if (withOrt)
            {
                // Spinning off: ONNX Runtime's idle threads would otherwise busy-wait and slow whichever engine runs next.
                var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount, InterOpNumThreads = 1 };
                options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
                var session = new InferenceSession(modelPath, options);
                var inputs = new[] { NamedOnnxValue.CreateFromTensor(input.Name, new DenseTensor<float>(x, dims)) };
                engines.Add(("onnxruntime", () =>
                {
                    using var result = session.Run(inputs);
                }, new Owned(session, options)));
            }

            var times = engines.Select(_ => new double[runs]).ToArray();
            for (var r = -5; r < runs; r++)
            {
                for (var e = 0; e < engines.Count; e++)
                {
                    var start = Stopwatch.GetTimestamp();
                    engines[e].Forward();
                    if (r >= 0)
                    {
                        times[e][r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    }
                }
            }

            var c = CultureInfo.InvariantCulture;
            var ortMedian = withOrt ? Median(times[^1]) : double.NaN;
            Console.WriteLine($"model: {modelPath} ({macs / 1e9:0.000} G multiply-adds), machine: {Environment.ProcessorCount} threads, {ComputeDevice.CpuSimdName()}; {runs} alternating runs after 5 warm-up");
            Console.WriteLine($"{"engine",-20} {"median ms",10} {"min",8} {"max",8} {"vs ORT",8} {"GFLOP/s",8}");
            var results = new List<object>();
            for (var e = 0; e < engines.Count; e++)
            {
                var median = Median(times[e]);
                var ratio = median / ortMedian;
                Console.WriteLine(string.Create(c, $"{engines[e].Name,-20} {median,10:0.00} {times[e].Min(),8:0.00} {times[e].Max(),8:0.00} {ratio,7:0.00}x {2 * macs / (median * 1e6),8:0.0}"));
                results.Add(new { engine = engines[e].Name, medianMs = median, minMs = times[e].Min(), maxMs = times[e].Max(), ratioToOnnxRuntime = double.IsFinite(ratio) ? ratio : (double?)null });
            }

            if (jsonPath is not null)
            {
                var doc = new { machine = $"{Environment.ProcessorCount} threads, {ComputeDevice.CpuSimdName()}", model = modelPath, runs, results };
                File.WriteAllText(jsonPath, JsonSerializer.Serialize(doc, Indented));
            }

            return 0;
        }
        finally
        {
            foreach (var engine in engines)
            {
                engine.Owner.Dispose();
            }
        }
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private sealed class Owned(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items)
            {
                item.Dispose();
            }
        }
    }
}
