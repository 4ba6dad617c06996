// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Benchmarks;
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
/// <summary>One engine's figures.</summary>
internal sealed record BenchResult(string Engine, double MedianMs, double MinMs, double MaxMs, double? RatioToOnnxRuntime, double Gflops, double ShareOfPeak);

/// <summary>One ConvLive node's median time and share of the per-layer sum.</summary>
internal sealed record LayerTime(string Node, string Op, double MedianMs, double Share);

internal static class ModelBenchmark
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static int Run(string modelPath, IReadOnlyList<DeviceKind> devices, IReadOnlyCollection<string> peers, int runs, string? jsonPath, string? pngPath)
    {
        var withOrt = peers.Contains("ort");
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
                ComputeDevice device;
                try
                {
                    device = ComputeDevice.Open(kind);
                }
                catch (DeviceUnavailableException e)
                {
                    Console.Error.WriteLine($"error: {e.Message}");
                    return 2;
                }

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

            if (peers.Contains("opencv"))
            {
                try
                {
                    OpenCvSharp.Cv2.SetNumThreads(Environment.ProcessorCount);
                    var net = OpenCvSharp.Dnn.CvDnn.ReadNetFromOnnx(modelPath) ?? throw new InvalidDataException("OpenCV DNN returned no network");
                    var blob = OpenCvSharp.Mat.FromPixelData(dims, OpenCvSharp.MatType.CV_32F, x);
                    var inputName = input.Name;
                    engines.Add(("opencv-dnn", () =>
                    {
                        net.SetInput(blob, inputName);
                        using var result = net.Forward();
                    }, new Owned(net, blob)));
                }
                catch (Exception e) when (e is OpenCvSharp.OpenCVException or InvalidDataException)
                {
                    Console.Error.WriteLine($"opencv-dnn: left out, it cannot run {Path.GetFileName(modelPath)} ({e.Message.Split('\n')[0].Trim()})");
                }
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
            var ortIndex = engines.FindIndex(e => e.Name == "onnxruntime");
            var ortMedian = ortIndex >= 0 ? Median(times[ortIndex]) : double.NaN;
            var peak = FmaPeak.Measure(Environment.ProcessorCount);
            Console.WriteLine($"model: {modelPath} ({macs / 1e9:0.000} G multiply-adds), machine: {Environment.ProcessorCount} threads, {ComputeDevice.CpuSimdName()}; {runs} alternating runs after 5 warm-up");
            Console.WriteLine(string.Create(c, $"fp32 FMA peak measured now: {peak:0.0} GFLOP/s on {Environment.ProcessorCount} threads"));
            Console.WriteLine($"{"engine",-20} {"median ms",10} {"min",8} {"max",8} {"vs ORT",8} {"GFLOP/s",8} {"of peak",8}");
            var results = new List<BenchResult>();
            for (var e = 0; e < engines.Count; e++)
            {
                var median = Median(times[e]);
                var ratio = median / ortMedian;
                var gflops = 2 * macs / (median * 1e6);
                Console.WriteLine(string.Create(c, $"{engines[e].Name,-20} {median,10:0.00} {times[e].Min(),8:0.00} {times[e].Max(),8:0.00} {ratio,7:0.00}x {gflops,8:0.0} {gflops / peak,8:P0}"));
                results.Add(new BenchResult(engines[e].Name, median, times[e].Min(), times[e].Max(), double.IsFinite(ratio) ? ratio : null, gflops, gflops / peak));
            }

            // Where ConvLive's time goes: each node timed on its own (synchronised), median of the same run count.
            var layers = new List<LayerTime>();
            if (engines.Count > 0 && engines[0].Owner is Owned { Items: [CompiledModel first, ..] })
            {
                var profile = first.Profile(Math.Max(5, runs / 2));
                var total = profile.Sum(p => p.MedianMs);
                Console.WriteLine($"{engines[0].Name} per layer (median ms of {Math.Max(5, runs / 2)} runs, layers over 1% of the sum {total:0.00} ms):");
                foreach (var (node, op, ms) in profile)
                {
                    layers.Add(new LayerTime(node, op, ms, ms / total));
                    if (ms / total >= 0.01)
                    {
                        Console.WriteLine(string.Create(c, $"  {node,-28} {op,-20} {ms,8:0.000} {ms / total,7:P1}"));
                    }
                }
            }

            var machine = $"{Environment.ProcessorCount} threads, {ComputeDevice.CpuSimdName()}, {peak:0.0} GFLOP/s fp32 FMA peak measured";
            if (jsonPath is not null)
            {
                var doc = new { machine, model = modelPath, date = DateTime.UtcNow.ToString("yyyy-MM-dd", c), runs, multiplyAdds = macs, results, layers };
                Engine.IO.AtomicFile.WriteAllBytes(jsonPath, JsonSerializer.SerializeToUtf8Bytes(doc, Indented));
            }

            if (pngPath is not null)
            {
                BenchChart.Write(pngPath, $"{Path.GetFileName(modelPath)}, batch 1, {machine}", results, layers);
                Console.WriteLine($"chart: {pngPath}");
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
        public IDisposable[] Items { get; } = items;

        public void Dispose()
        {
            foreach (var item in Items)
            {
                item.Dispose();
            }
        }
    }
}
