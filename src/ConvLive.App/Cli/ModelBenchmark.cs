// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Backends.Cpu;
using ConvLive.Engine.Benchmarks;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Models;
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

/// <summary>
/// A variant of the cpu engine against the first: top-1 agreement, the first's top-1 within its top-5, agreement of the
/// input-specific top-1 (each output minus its mean over all inputs: informative even when a network with random
/// weights gives every input the same class), and the largest output difference.
/// </summary>
internal sealed record Agreement(string Engine, int Inputs, int DistinctTop1, double Top1, double Top1InTop5, double InputSpecificTop1, double MaxAbsDiff, double MaxAbsOutput);

internal static class ModelBenchmark
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Inputs compared between the cpu engine's variants.</summary>
    private const int AgreementInputs = 200;

    public static int Run(string modelPath, IReadOnlyList<DeviceKind> devices, IReadOnlyCollection<string> peers, int runs, string? jsonPath, string? pngPath, IReadOnlyList<WeightPrecision> precisions, IReadOnlyList<ConvAlgorithm> algorithms, IReadOnlyList<bool> fusions)
    {
        if (precisions.Any(p => p != WeightPrecision.Float32) && !precisions.Contains(WeightPrecision.Float32))
        {
            precisions = [WeightPrecision.Float32, .. precisions]; // the reduced ones are compared with it
        }

        var withOrt = peers.Contains("ort");
        if (!TryLoad(modelPath, out var graph, out var input, out var dims))
        {
            return 2;
        }
        var x = new float[dims.Aggregate(1, (a, b) => a * b)];
        var random = new Random(1);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble();
        }

        var macs = ModelInspector.Inspect(graph).Sum(r => r.Computations);

        // Measured before any engine exists: a peer's thread pool (OpenCV's) can still be spinning after its runs.
        var peak = FmaPeak.Measure(Environment.ProcessorCount);
        var engines = new List<(string Name, Action Forward, IDisposable Owner)>();
        var compute = CommonOptions.ComputeFromEnvironment();
        var asked = precisions.Any(p => p != WeightPrecision.Float32) || algorithms.Any(a => a != ConvAlgorithm.Auto)
            ? compute with { FullyConnectedWeights = precisions.FirstOrDefault(p => p != WeightPrecision.Float32), ConvAlgorithm = algorithms.FirstOrDefault(a => a != ConvAlgorithm.Auto) }
            : compute;
        void Note(string line) => Console.Error.WriteLine($"note: {line}");
        try
        {
            foreach (var kind in devices)
            {
                ComputeDevice device;
                try
                {
                    device = ComputeDevice.Open(kind, null, compute.Threads);
                }
                catch (DeviceUnavailableException e)
                {
                    Console.Error.WriteLine($"error: {e.Message}");
                    return 2;
                }

                var variants = (from fuse in fusions.Distinct()
                                from algorithm in kind == DeviceKind.Cpu ? algorithms.Distinct() : [ConvAlgorithm.Auto]
                                from precision in kind == DeviceKind.Cpu ? precisions.Distinct() : [WeightPrecision.Float32]
                                select (fuse, algorithm, precision)).ToList();

                for (var i = 0; i < variants.Count; i++)
                {
                    // Each variant gets its own device, backend and model, so their packed weights never mix.
                    var (fuse, algorithm, precision) = variants[i];
                    var engineDevice = i == 0 ? device : ComputeDevice.Open(kind, null, compute.Threads);
                    // On an ILGPU device the cpu-only options asked for are reported once, by the first variant's backend.
                    var options = engineDevice.IsIlgpu ? asked : compute with { FullyConnectedWeights = precision, ConvAlgorithm = algorithm };
                    var backend = Backend.Create(engineDevice, options, i == 0 ? Note : null);

                    // Inference-time fusion (BatchNormalization folded into Conv, Relu in its epilogue), as ONNX Runtime's
                    // default graph optimisation does; only the outputs need to stay readable here.
                    var model = CompiledModel.Compile(fuse ? GraphFusion.Fuse(graph) : graph, backend, new Dictionary<string, TensorShape> { [input.Name] = new(dims) });
                    model.SetInput(input.Name, x);
                    var output = new float[model.ShapeOf(graph.Outputs[0].Name).Length];
                    var name = $"convlive/{device.Kind.ToName()}"
                        + (algorithm == ConvAlgorithm.Auto ? string.Empty : $" conv-{algorithm.ToName()}")
                        + (precision == WeightPrecision.Float32 ? string.Empty : $" fc-{precision.ToName()}")
                        + (fuse ? string.Empty : " unfused");
                    engines.Add((name, () =>
                    {
                        model.Run();
                        model.Read(graph.Outputs[0].Name, output);
                    }, new Owned(model, backend, engineDevice)));
                }
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
            Console.WriteLine($"model: {modelPath} ({macs / 1e9:0.000} G multiply-adds), machine: {Environment.ProcessorCount} threads, {ComputeDevice.CpuSimdName()}; {runs} alternating runs after 5 warm-up");
            Console.WriteLine(string.Create(c, $"fp32 FMA peak measured now: {peak:0.0} GFLOP/s on {Environment.ProcessorCount} threads"));
            Console.WriteLine($"{"engine",-20} {"median ms",10} {"min",8} {"max",8} {"vs ORT",8} {"GFLOP/s",8} {"of peak",8}");
            var results = new List<BenchResult>();
            for (var e = 0; e < engines.Count; e++)
            {
                var median = Median(times[e]);
                var ratio = median / ortMedian;
                var gflops = 2 * macs / (median * 1e6);
                var ratioText = double.IsFinite(ratio) ? string.Create(c, $"{ratio:0.00}x") : "-";
                Console.WriteLine(string.Create(c, $"{engines[e].Name,-20} {median,10:0.00} {times[e].Min(),8:0.00} {times[e].Max(),8:0.00} {ratioText,8} {gflops,8:0.0} {gflops / peak,8:P0}"));
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

            var agreements = MeasureAgreement(engines.Select(e => (e.Name, e.Owner)).ToList(), graph, input.Name, dims);
            var machine = $"{Environment.ProcessorCount} threads, {ComputeDevice.CpuSimdName()}, {peak:0.0} GFLOP/s fp32 FMA peak measured";
            if (jsonPath is not null)
            {
                var doc = new { machine, model = modelPath, date = DateTime.UtcNow.ToString("yyyy-MM-dd", c), runs, multiplyAdds = macs, results, layers, agreements };
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

    /// <summary>
    /// The cpu device's other variants (reduced-precision fully connected weights, another convolution algorithm)
    /// against its first over <see cref="AgreementInputs"/> smooth random images: how often the top-1 output index
    /// agrees, and the largest output difference.
    /// </summary>
    private static List<Agreement> MeasureAgreement(List<(string Name, IDisposable Owner)> engines, ModelGraph graph, string inputName, int[] dims)
    {
        var agreements = new List<Agreement>();
        var cpuEngines = engines.Where(e => e.Name == "convlive/cpu" || e.Name.StartsWith("convlive/cpu ", StringComparison.Ordinal)).ToList();
        if (cpuEngines.Count < 2 || ((Owned)cpuEngines[0].Owner).Items[0] is not CompiledModel first)
        {
            return agreements;
        }

        var outputName = graph.Outputs[0].Name;
        var length = first.ShapeOf(outputName).Length;
        var x = new float[dims.Aggregate(1, (a, b) => a * b)];
        var expected = Outputs(first);
        var referenceName = cpuEngines[0].Name;
        foreach (var (name, owner) in cpuEngines.Skip(1))
        {
            var actual = Outputs((CompiledModel)((Owned)owner).Items[0]);
            int same = 0, top5 = 0, sameSpecific = 0;
            int[] top = new int[5];
            float[] probabilities = new float[5];
            var classes = new HashSet<int>();
            double maxDiff = 0, maxRef = 0;
            float[] meanExpected = Mean(expected), meanActual = Mean(actual);
            for (var i = 0; i < AgreementInputs; i++)
            {
                var best = Classification.ArgMax(expected[i]);
                classes.Add(best);
                same += best == Classification.ArgMax(actual[i]) ? 1 : 0;
                Classification.Top(actual[i], top, probabilities);
                top5 += top.Contains(best) ? 1 : 0;
                sameSpecific += Classification.ArgMax(Minus(expected[i], meanExpected)) == Classification.ArgMax(Minus(actual[i], meanActual)) ? 1 : 0;
                for (var j = 0; j < length; j++)
                {
                    maxDiff = Math.Max(maxDiff, Math.Abs(expected[i][j] - actual[i][j]));
                    maxRef = Math.Max(maxRef, Math.Abs(expected[i][j]));
                }
            }

            var agreement = new Agreement(name, AgreementInputs, classes.Count, (double)same / AgreementInputs, (double)top5 / AgreementInputs, (double)sameSpecific / AgreementInputs, maxDiff, maxRef);
            agreements.Add(agreement);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name} vs {referenceName} over {AgreementInputs} smooth random inputs (which chose {classes.Count} different top-1 outputs): top-1 agreement {agreement.Top1:P1}, "
                + $"its top-1 in the other's top-5 {agreement.Top1InTop5:P1}, input-specific top-1 (output minus its mean over the inputs) {agreement.InputSpecificTop1:P1}, "
                + $"max |diff| {maxDiff:G3} (outputs up to {maxRef:G3})"));
        }

        return agreements;

        float[][] Outputs(CompiledModel model)
        {
            var outputs = new float[AgreementInputs][];
            for (var i = 0; i < AgreementInputs; i++)
            {
                SmoothImage(x, dims, seed: i);
                model.SetInput(inputName, x);
                model.Run();
                model.Read(outputName, outputs[i] = new float[length]);
            }

            return outputs;
        }

        float[] Mean(float[][] rows)
        {
            var mean = new float[length];
            foreach (var row in rows)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(mean, row, mean);
            }

            System.Numerics.Tensors.TensorPrimitives.Divide(mean, rows.Length, mean);
            return mean;
        }

        static float[] Minus(float[] a, float[] b)
        {
            var d = new float[a.Length];
            System.Numerics.Tensors.TensorPrimitives.Subtract(a, b, d);
            return d;
        }
    }

    /// <summary>Low-frequency images in [0, 1]: a few random waves and blobs per channel (closer to photographs than noise).</summary>
    /// <summary>Loads a model to time and its float input's batch-1 shape; says why in one line when it cannot.</summary>
    internal static bool TryLoad(string modelPath, out ModelGraph graph, out GraphValue input, out int[] dims)
    {
        try
        {
            graph = OnnxLoader.Load(modelPath);
        }
        catch (ModelException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            (graph, input, dims) = (null!, null!, []);
            return false;
        }

        input = graph.Inputs.First(i => i.Type == ElementType.Float32);
        dims = input.Dims?.Select(d => (int)(d ?? 1)).ToArray() ?? [1, 3, 224, 224];
        return true;
    }

    internal static void SmoothImage(float[] x, int[] dims, int seed)
    {
        var random = new Random(seed);
        int channels = dims.Length > 1 ? dims[1] : 1, h = dims.Length > 2 ? dims[2] : 1, w = dims.Length > 3 ? dims[3] : 1;
        for (var c = 0; c < channels; c++)
        {
            var waves = Enumerable.Range(0, 4).Select(_ => (Fy: random.NextDouble() * 6, Fx: random.NextDouble() * 6, Phase: random.NextDouble() * 6.28, Amp: random.NextDouble() * 0.25)).ToArray();
            var (by, bx, br) = (random.NextDouble() * h, random.NextDouble() * w, 0.1 + (random.NextDouble() * 0.3 * Math.Max(h, w)));
            var offset = random.NextDouble();
            for (var y = 0; y < h; y++)
            {
                for (var xx = 0; xx < w; xx++)
                {
                    var v = offset;
                    foreach (var (fy, fx, phase, amp) in waves)
                    {
                        v += amp * Math.Sin((2 * Math.PI * ((fy * y / h) + (fx * xx / w))) + phase);
                    }

                    var d2 = (((y - by) * (y - by)) + ((xx - bx) * (xx - bx))) / (br * br);
                    v += 0.5 * Math.Exp(-d2);
                    x[(((c * h) + y) * w) + xx] = (float)Math.Clamp(v, 0, 1);
                }
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
