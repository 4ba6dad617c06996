// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using System.Text.Json;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Benchmarks;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Backends.Cpu;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Onnx;

namespace ConvLive.App.Cli;

/// <summary>One engine's figures.</summary>
internal sealed record BenchResult(string Engine, double MedianMs, double MinMs, double MaxMs, double? RatioToOnnxRuntime, double Gflops, double ShareOfPeak);

/// <summary>One forward's kernel launches and host waits on an ILGPU engine.</summary>
internal sealed record HostCost(string Engine, long Launches, long HostSyncs);

/// <summary>One ConvLive node's median time and share of the per-layer sum.</summary>
internal sealed record LayerTime(string Node, string Op, double MedianMs, double Share)
{
    /// <summary>The name a person reads (conv1, layer2.0.conv1; <see cref="Engine.Graph.LayerNames"/>), or null.</summary>
    public string? Label { get; init; }

    /// <summary>The label, else the node's name.</summary>
    public string Shown => Label ?? Node;

    /// <summary>ONNX Runtime's median kernel time for the node of the same name (its profiler), or null.</summary>
    public double? OnnxRuntimeMs { get; init; }

    /// <summary>For a layer with weights (Conv, Gemm, MatMul against a constant): the lecture's count of its
    /// multiply-adds (<see cref="Engine.Graph.LayerInfo.Computations"/>: parameters, biases included, × output
    /// positions) ×2 a second, in GFLOP/s, so Winograd's and the skipped zeros' can pass the peak; else null.</summary>
    public double? Gflops { get; init; }

    /// <summary><see cref="Gflops"/> over the FMA peak measured in the same run, or null.</summary>
    public double? ShareOfPeak { get; init; }
}

/// <summary>
/// <c>convlive bench model</c>: batch-1 forwards of one model by each engine in the same process, alternating
/// engines run by run after a warm-up, so every engine sees the same machine state. Medians, min, max, ratio to
/// ONNX Runtime, GFLOP/s and a per-layer breakdown for ConvLive.
/// </summary>
internal static class ModelBenchmark
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static int Run(string modelPath, IReadOnlyList<DeviceKind> devices, IReadOnlyCollection<string> peers, int runs, string? jsonPath, string? pngPath, IReadOnlyList<WeightPrecision> precisions, IReadOnlyList<ConvAlgorithm> algorithms, IReadOnlyList<bool> fusions, IReadOnlyList<int> vectorBits)
    {
        if (precisions.Any(p => p != WeightPrecision.Float32) && !precisions.Contains(WeightPrecision.Float32))
        {
            precisions = [WeightPrecision.Float32, .. precisions]; // the reduced ones are compared with it
        }

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
        var narrower = FmaPeakText.Narrower(Environment.ProcessorCount, peak);
        var bandwidth = Engine.Benchmarks.MemoryBandwidth.Measure(Environment.ProcessorCount);
        var fcBytes = graph.Nodes.Where(n => n.OpType is "Gemm" or "MatMul" && n.Inputs.Count > 1 && graph.Initializers.ContainsKey(n.Inputs[1]))
            .Sum(n => 4L * graph.Initializers[n.Inputs[1]].Shape.Length);
        var engines = new List<BenchEngine>();
        try
        {
            if (!BenchEngines.AddConvLive(engines, graph, input, dims, x, devices, precisions, algorithms, fusions, vectorBits))
            {
                return 2;
            }

            BenchEngines.AddPeers(engines, peers, modelPath, input, dims, x);
            var times = BenchEngines.TimeAlternating(engines, runs);
            Console.WriteLine($"model: {modelPath} ({macs / 1e9:0.000} G multiply-adds), machine: {Environment.ProcessorCount} threads, {ComputeDevice.CpuSimdName()}; {runs} alternating runs after 5 warm-up");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fp32 FMA peak measured now: {peak:0.0} GFLOP/s on {Environment.ProcessorCount} threads{narrower}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"memory read bandwidth measured now: {bandwidth:0.0} GB/s on {Environment.ProcessorCount} threads{(fcBytes > 0 ? $"; the fully connected weights, {fcBytes / 1e6:0.0} MB in fp32, take {fcBytes / bandwidth / 1e6:0.00} ms a forward at that rate" : string.Empty)}"));
            var results = Report(engines, times, macs, peak);
            var hostCosts = HostCosts(engines);
            var ortLayers = peers.Contains("ort") ? OrtLayerProfile.Medians(modelPath, input, dims, x, Math.Max(5, runs / 2)) : [];
            var layers = ProfileLayers(engines, runs, ortLayers, graph, peak);
            var convChoices = PrintConvChoices(engines);
            var agreements = BenchAgreement.Measure(engines, graph, input.Name, dims);
            var machine = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} threads, {ComputeDevice.CpuSimdName()}, {peak:0.0} GFLOP/s fp32 FMA peak, {bandwidth:0.0} GB/s memory read bandwidth measured");
            if (jsonPath is not null)
            {
                var doc = new { machine, model = modelPath, date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), runs, multiplyAdds = macs, results, hostCosts, convChoices, layers, agreements };
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

    /// <summary><c>bench --count-launches</c>: each ILGPU engine's kernel launches and host waits a forward, walked
    /// without running its kernels (<see cref="Engine.Backends.Ilgpu.IlgpuBackend.CountOnly"/>), printed; nothing is timed.</summary>
    public static int CountLaunches(string modelPath, IReadOnlyList<DeviceKind> devices, IReadOnlyList<bool> fusions, string? jsonPath)
    {
        if (!TryLoad(modelPath, out var graph, out var input, out var dims))
        {
            return 2;
        }

        var engines = new List<BenchEngine>();
        try
        {
            var x = new float[dims.Aggregate(1, (a, b) => a * b)];
            if (!BenchEngines.AddConvLive(engines, graph, input, dims, x, devices, [WeightPrecision.Float32], [ConvAlgorithm.Auto], fusions, [0]))
            {
                return 2;
            }

            foreach (var engine in engines.Where(e => e.Ilgpu is null))
            {
                Console.Error.WriteLine($"note: {engine.Name} launches no device kernels; --count-launches counts ILGPU devices (ilgpu-cpu, cuda, opencl)");
            }

            if (!engines.Any(e => e.Ilgpu is not null))
            {
                Console.Error.WriteLine("error: --count-launches needs an ILGPU device: add --device ilgpu-cpu (or cuda, opencl)");
                return 2;
            }

            Console.WriteLine($"model: {modelPath}, {graph.Nodes.Count} nodes; one forward walked on each ILGPU device without running its kernels:");
            foreach (var engine in engines.Where(e => e.Ilgpu is not null))
            {
                engine.Ilgpu!.CountOnly = true;
                engine.Forward(); // a first forward's one-time work is not counted
            }

            var costs = HostCosts(engines);
            if (jsonPath is not null)
            {
                var doc = new { model = modelPath, date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), countedWithoutRunning = true, hostCosts = costs };
                Engine.IO.AtomicFile.WriteAllBytes(jsonPath, JsonSerializer.SerializeToUtf8Bytes(doc, Indented));
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

    /// <summary>Each cpu engine's convolution algorithms chosen by timing on this machine (or found kept), printed.</summary>
    private static List<ConvChoice> PrintConvChoices(List<BenchEngine> engines)
    {
        var all = new List<ConvChoice>();
        foreach (var engine in engines.Where(e => e.Cpu is { ConvChoices.Count: > 0 }))
        {
            Console.WriteLine($"{engine.Name}: convolution algorithms timed on this machine (kept in {engine.Cpu!.Options.ConvChoicesFile ?? "memory"}):");
            foreach (var c in engine.Cpu.ConvChoices)
            {
                var times = string.Join(", ", c.Timings.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Algorithm} {t.Ms:0.000}")));
                Console.WriteLine($"  {c.Geometry,-52} {c.Algorithm,-17} ({times} ms)");
            }

            all.AddRange(engine.Cpu.ConvChoices);
        }

        return all;
    }

    /// <summary>Kernel launches and host synchronisations of one forward (its output read included) on each ILGPU
    /// engine, printed: a forward should wait for its device only where its result is read.</summary>
    private static List<HostCost> HostCosts(List<BenchEngine> engines)
    {
        var costs = new List<HostCost>();
        foreach (var engine in engines.Where(e => e.Ilgpu is not null))
        {
            var (launches, syncs) = (engine.Ilgpu!.Launches, engine.Ilgpu.HostSyncs);
            engine.Forward();
            var cost = new HostCost(engine.Name, engine.Ilgpu.Launches - launches, engine.Ilgpu.HostSyncs - syncs);
            costs.Add(cost);
            Console.WriteLine($"{engine.Name}: {cost.Launches} kernel launches and {cost.HostSyncs} host synchronisations a forward (the output's read included)");
        }

        return costs;
    }

    /// <summary>Prints each engine's median, min, max, ratio to ONNX Runtime, GFLOP/s and share of peak.</summary>
    private static List<BenchResult> Report(List<BenchEngine> engines, double[][] times, long macs, double peak)
    {
        var c = CultureInfo.InvariantCulture;
        var ortIndex = engines.FindIndex(e => e.Name == "onnxruntime");
        var ortMedian = ortIndex >= 0 ? Median(times[ortIndex]) : double.NaN;
        var interactive = ConsoleProgress.Interactive; // a Spectre.Console table on a terminal, the plain lines in logs
        if (!interactive)
        {
            Console.WriteLine($"{"engine",-20} {"median ms",10} {"min",8} {"max",8} {"vs ORT",8} {"GFLOP/s",8} {"of peak",8}");
        }

        var results = new List<BenchResult>();
        var rows = new List<IReadOnlyList<string>>();
        for (var e = 0; e < engines.Count; e++)
        {
            var median = Median(times[e]);
            var ratio = median / ortMedian;
            var gflops = 2 * macs / (median * 1e6);
            var ratioText = double.IsFinite(ratio) ? string.Create(c, $"{ratio:0.00}x") : "-";
            if (!interactive)
            {
                Console.WriteLine(string.Create(c, $"{engines[e].Name,-20} {median,10:0.00} {times[e].Min(),8:0.00} {times[e].Max(),8:0.00} {ratioText,8} {gflops,8:0.0} {gflops / peak,8:P0}"));
            }

            rows.Add([engines[e].Name, median.ToString("0.00", c), times[e].Min().ToString("0.00", c), times[e].Max().ToString("0.00", c), ratioText, gflops.ToString("0.0", c), string.Create(c, $"{gflops / peak * 100:0}%")]);
            results.Add(new BenchResult(engines[e].Name, median, times[e].Min(), times[e].Max(), double.IsFinite(ratio) ? ratio : null, gflops, gflops / peak));
        }

        if (interactive)
        {
            ConsoleProgress.Table("engines, batch 1", ["engine", "median ms", "min", "max", "vs ORT", "GFLOP/s", "of peak"], rows);
        }

        return results;
    }

    /// <summary>Where the first ConvLive engine's time goes: each node timed on its own (synchronised), its GFLOP/s
    /// and share of the FMA peak where it has weights (<see cref="LayerTime.Gflops"/>), beside ONNX Runtime's time for
    /// the node of the same name where its profile has one.</summary>
    private static List<LayerTime> ProfileLayers(List<BenchEngine> engines, int runs, Dictionary<string, double> ortLayers, ModelGraph original, double peak)
    {
        var layers = new List<LayerTime>();
        if (engines.Count == 0 || engines[0].Model is not { } first)
        {
            return layers;
        }

        var profile = first.Profile(Math.Max(5, runs / 2));
        var multiplyAdds = new Dictionary<string, long>(StringComparer.Ordinal); // by node name (fusion keeps the Conv's)
        foreach (var (row, node) in ModelInspector.Inspect(original).Zip(original.Nodes))
        {
            multiplyAdds.TryAdd(node.Name, row.Computations);
        }

        var total = profile.Sum(p => p.MedianMs);
        var readable = Engine.Graph.LayerNames.For(first.Graph);
        var labels = first.Graph.Nodes.Where(n => n.Outputs.Count > 0 && readable.ContainsKey(n.Outputs[0]))
            .GroupBy(n => n.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => readable[g.First().Outputs[0]], StringComparer.Ordinal);
        var ortTotal = ortLayers.Values.Sum();
        var outputs = first.Graph.Nodes.GroupBy(n => n.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)OrtLayerProfile.ValuesOf(original, g.First()), StringComparer.Ordinal);
        var title = $"{engines[0].Name} per layer (median ms of {Math.Max(5, runs / 2)} runs, layers over 1% of the sum {total:0.00} ms; GFLOP/s from the multiply-adds inspect counts, and their share of the peak)" +
            (ortLayers.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $"; beside it onnxruntime's node that writes the same value, from its profiler (its nodes sum to {ortTotal:0.00} ms)") : string.Empty);
        var interactive = ConsoleProgress.Interactive; // a Spectre.Console table on a terminal, the plain lines in logs
        if (!interactive)
        {
            Console.WriteLine(title + ":");
        }

        var rows = new List<IReadOnlyList<string>>();
        foreach (var (node, op, ms) in profile)
        {
            double? gflops = multiplyAdds.GetValueOrDefault(node) is > 0 and var m && ms > 0 ? 2.0 * m / (ms * 1e6) : null;
            var layer = new LayerTime(node, op, ms, ms / total)
            {
                Label = labels.GetValueOrDefault(node),
                OnnxRuntimeMs = OrtLayerProfile.Match(ortLayers, node, outputs.GetValueOrDefault(node) ?? []),
                Gflops = gflops,
                ShareOfPeak = gflops / peak,
            };
            var peerText = layer.OnnxRuntimeMs is { } o ? o.ToString("0.000", CultureInfo.InvariantCulture) : (ortLayers.Count > 0 ? "-" : string.Empty);
            var rateText = gflops is { } g ? string.Create(CultureInfo.InvariantCulture, $"{g,6:0.0} {g / peak,5:P0}") : string.Empty;
            layers.Add(layer);
            if (ms / total >= 0.01)
            {
                var shown = layer.Label is { } l ? $"{l} ({node})" : node;
                rows.Add([layer.Label ?? node, layer.Label is null ? string.Empty : node, op, ms.ToString("0.000", CultureInfo.InvariantCulture), (ms / total).ToString("P1", CultureInfo.InvariantCulture),
                    gflops?.ToString("0.0", CultureInfo.InvariantCulture) ?? string.Empty, gflops is { } r ? (r / peak).ToString("P0", CultureInfo.InvariantCulture) : string.Empty, peerText]);
                if (!interactive)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {shown,-40} {op,-20} {ms,8:0.000} {ms / total,7:P1} {rateText,12} {peerText,8}"));
                }
            }
        }

        if (interactive)
        {
            ConsoleProgress.Table(title, ["layer", "ONNX node", "op", "median ms", "share", "GFLOP/s", "of peak", "onnxruntime ms"], rows);
        }

        return layers;
    }

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

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
