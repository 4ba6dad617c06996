// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ConvLive.App.Cli;

/// <summary>An engine being timed: a name, one forward, what to dispose, and (for ConvLive) its compiled model.</summary>
internal sealed record BenchEngine(string Name, Action Forward, IDisposable Owner, CompiledModel? Model = null)
{
    /// <summary>The ILGPU backend the engine runs on, whose launch and synchronisation counters bench reads; else null.</summary>
    public Engine.Backends.Ilgpu.IlgpuBackend? Ilgpu { get; init; }

    /// <summary>The cpu backend the engine runs on, whose timed convolution choices bench prints; else null.</summary>
    public Engine.Backends.Cpu.CpuBackend? Cpu { get; init; }
}

/// <summary>The engines one <c>bench</c> run alternates: ConvLive on each device (one per fusion, convolution
/// algorithm and weight precision asked for) and the peers (ONNX Runtime, OpenCV DNN).</summary>
internal static class BenchEngines
{
    /// <summary>ConvLive on each device; false (said on standard error) when a device does not open.</summary>
    public static bool AddConvLive(List<BenchEngine> engines, ModelGraph graph, GraphValue input, int[] dims, float[] x, IReadOnlyList<DeviceKind> devices, IReadOnlyList<WeightPrecision> precisions, IReadOnlyList<ConvAlgorithm> algorithms, IReadOnlyList<bool> fusions, IReadOnlyList<int> vectorBits)
    {
        var compute = CommonOptions.ComputeFromEnvironment();
        var asked = precisions.Any(p => p != WeightPrecision.Float32) || algorithms.Any(a => a != ConvAlgorithm.Auto)
            ? compute with { FullyConnectedWeights = precisions.FirstOrDefault(p => p != WeightPrecision.Float32), ConvAlgorithm = algorithms.FirstOrDefault(a => a != ConvAlgorithm.Auto) }
            : compute;
        static void Note(string line) => Console.Error.WriteLine($"note: {line}");
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
                return false;
            }

            var variants = (from fuse in fusions.Distinct()
                            from algorithm in kind == DeviceKind.Cpu ? algorithms.Distinct() : [ConvAlgorithm.Auto]
                            from precision in kind == DeviceKind.Cpu ? precisions.Distinct() : [WeightPrecision.Float32]
                            from bits in kind == DeviceKind.Cpu ? vectorBits.Distinct() : [0]
                            select (fuse, algorithm, precision, bits)).ToList();
            for (var i = 0; i < variants.Count; i++)
            {
                // Each variant gets its own device, backend and model, so their packed weights never mix.
                var (fuse, algorithm, precision, bits) = variants[i];
                var engineDevice = i == 0 ? device : ComputeDevice.Open(kind, null, compute.Threads);

                // On an ILGPU device the cpu-only options asked for are reported once, by the first variant's backend.
                var options = engineDevice.IsIlgpu ? asked : compute with { FullyConnectedWeights = precision, ConvAlgorithm = algorithm, VectorBits = bits == 0 ? compute.VectorBits : bits };
                var backend = Backend.Create(engineDevice, options, i == 0 ? Note : null);

                // Inference-time fusion (BatchNormalization folded into Conv, Relu and a residual Add in its store), as
                // ONNX Runtime's default graph optimisation does; only the outputs need to stay readable here.
                var shapes = new Dictionary<string, TensorShape> { [input.Name] = new(dims) };
                var model = CompiledModel.Compile(fuse ? GraphFusion.Fuse(graph, inputShapes: shapes) : graph, backend, shapes);
                model.SetInput(input.Name, x);
                var output = new float[model.ShapeOf(graph.Outputs[0].Name).Length];
                var name = $"convlive/{device.Kind.ToName()}"
                    + (algorithm == ConvAlgorithm.Auto ? string.Empty : $" conv-{algorithm.ToName()}")
                    + (precision == WeightPrecision.Float32 ? string.Empty : $" fc-{precision.ToName()}")
                    + (fuse ? string.Empty : " unfused")
                    + (bits == 0 ? string.Empty : $" {bits}-bit");
                engines.Add(new BenchEngine(name, () =>
                {
                    model.Run();
                    model.Read(graph.Outputs[0].Name, output);
                }, new Owned(model, backend, engineDevice), model) { Ilgpu = backend as Engine.Backends.Ilgpu.IlgpuBackend, Cpu = backend as Engine.Backends.Cpu.CpuBackend });
            }
        }

        return true;
    }

    /// <summary>The peers asked for that can run the model (one that cannot is left out with the reason).</summary>
    public static void AddPeers(List<BenchEngine> engines, IReadOnlyCollection<string> peers, string modelPath, GraphValue input, int[] dims, float[] x)
    {
        if (peers.Contains("ort"))
        {
            // Spinning off: ONNX Runtime's idle threads would otherwise busy-wait and slow whichever engine runs next.
            var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount, InterOpNumThreads = 1 };
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            var session = new InferenceSession(modelPath, options);
            var inputs = new[] { NamedOnnxValue.CreateFromTensor(input.Name, new DenseTensor<float>(x, dims)) };
            engines.Add(new BenchEngine("onnxruntime", () =>
            {
                using var result = session.Run(inputs);
            }, new Owned(session, options)));
        }

        if (peers.Contains("opencv"))
        {
            if (Capture.OpenCvDnnNet.TryLoad(modelPath, input.Name, dims, x, out var why) is { } net)
            {
                engines.Add(new BenchEngine("opencv-dnn", net.Forward, net));
            }
            else
            {
                Console.Error.WriteLine($"opencv-dnn: left out, it cannot run {Path.GetFileName(modelPath)} ({why})");
            }
        }
    }

    /// <summary>Each engine's times over <paramref name="runs"/> rounds after five warm-up rounds, engines alternating.</summary>
    public static double[][] TimeAlternating(IReadOnlyList<BenchEngine> engines, int runs)
    {
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

        return times;
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
