// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Explain;
using ConvLive.Engine.Graph;
using ConvLive.Engine.IO;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;
using Xunit.Abstractions;

namespace ConvLive.Engine.Tests.Explain;

/// <summary>
/// Whole-network explanations against PyTorch autograd on the same weights and input (scripts/explain_reference.py
/// runs the ONNX graph with torch ops in float64): gradient, guided backpropagation, deconvnet and Grad-CAM for
/// AlexNet in both layouts, ResNet-18 and SqueezeNet 1.1, each to max |a − b| ≤ 1e-3·max|ref| and cosine ≥ 0.99999.
/// </summary>
[Collection(DevicesDefinition.Name)]
public sealed class ExplainReferenceTests(DeviceFixture devices, ITestOutputHelper log) : IDisposable
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "explain_reference.py");

    private static readonly string ResNet = ResNetPackage.Network;

    private readonly TempFolder _folder = new();

    public static TheoryData<string> Models => ["alexnet-torchvision", "alexnet-zoo", "resnet18", "squeezenet1.1"];

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void ExplanationsEqualPyTorchAutograd(string name)
    {
        Skip.IfNot(TorchAvailable(out var why), why);
        var (path, scale) = Model(name);
        var graph = OnnxLoader.Load(path);
        var input = Picture(scale);
        var inputPath = _folder.File("x.npy");
        NpyFile.Write(inputPath, new TensorShape(1, 3, 224, 224), input);

        using var backend = Backend.Create(devices.Get(DeviceKind.Cpu, out _)!);
        using var model = CompiledModel.Compile(graph, backend, new Dictionary<string, TensorShape> { [graph.Inputs[0].Name] = new(1, 3, 224, 224) });
        model.SetInput(graph.Inputs[0].Name, input);
        model.Run();
        var k = TopClass(model);
        using var explainer = Explainer.ForClass(model, k);
        var refs = _folder.File("refs");
        Directory.CreateDirectory(refs);
        Python("explain", path, inputPath, k.ToString(System.Globalization.CultureInfo.InvariantCulture), explainer.CamLayer, refs, "--dtype", "float64");

        foreach (var method in Enum.GetValues<ExplainMethod>())
        {
            var map = new float[explainer.MapShape(method).Length];
            explainer.Compute(method, map);
            var expected = NpyFile.Read(Path.Combine(refs, ExplainMethods.Names[(int)method] + ".npy")).Data;
            var (error, cosine) = AssertAgrees(expected, map, $"{name} {method} (class {k}, Grad-CAM on '{explainer.CamLayer}')");
            log.WriteLine($"{name} {method}: max |a-b| / max|ref| = {error:0.0e0}, cosine {cosine:0.00000000}");
        }
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>max |a − b| ≤ 1e-3·max|ref| and cosine similarity ≥ 0.99999.</summary>
    private static (double Error, double Cosine) AssertAgrees(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var top = expected.Max(v => Math.Abs((double)v));
        Assert.True(top > 0, $"{what}: the reference is all zero, so the comparison would prove nothing");
        Numerics.AssertClose(expected, actual, 1e-3 * top, 0, what);
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            dot += (double)expected[i] * actual[i];
            na += (double)expected[i] * expected[i];
            nb += (double)actual[i] * actual[i];
        }

        var cosine = dot / Math.Sqrt(na * nb);
        Assert.True(cosine >= 0.99999, $"{what}: cosine similarity {cosine:0.0000000} < 0.99999");
        return (expected.Zip(actual).Max(p => Math.Abs((double)p.First - p.Second)) / top, cosine);
    }

    private (string Path, float Scale) Model(string name)
    {
        switch (name)
        {
            case "alexnet-torchvision":
                return (SeededAlexNet.Save(SeededAlexNet.Torchvision(seed: 11), _folder.File("atv.onnx")), 2f);
            case "alexnet-zoo":
                return (SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 12), _folder.File("azoo.onnx")), 120f);
            case "resnet18":
                Skip.IfNot(File.Exists(ResNet), $"the ResNet-18 package is not restored at {ResNet}");
                return (ResNet, 120f);
            default:
                var path = _folder.File("squeezenet.onnx");
                Python("squeezenet", path, "13");
                return (path, 2f);
        }
    }

    /// <summary>A smooth picture in the model's input range (white noise makes every max-pool window a near tie,
    /// where float32 and float64 rightly route the gradient differently).</summary>
    private static float[] Picture(float scale)
    {
        var random = new Random(3);
        var waves = Enumerable.Range(0, 12).Select(_ => (Fy: random.NextDouble() * 0.08, Fx: random.NextDouble() * 0.08, Phase: random.NextDouble() * 6.28, C: random.Next(3))).ToArray();
        var x = new float[3 * 224 * 224];
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < 224 * 224; i++)
            {
                int y = i / 224, col = i % 224;
                var v = waves.Where(w => w.C == c || w.C == (c + 1) % 3).Sum(w => Math.Sin((w.Fy * y) + (w.Fx * col) + w.Phase));
                x[(c * 224 * 224) + i] = (float)(scale * 0.35 * v);
            }
        }

        return x;
    }

    private static int TopClass(CompiledModel model)
    {
        var name = model.Graph.Outputs[0].Name;
        var scores = new float[model.ShapeOf(name).Length];
        model.Read(name, scores);
        return Classification.ArgMax(scores);
    }

    private static bool TorchAvailable(out string why)
    {
        why = "Debian's python3-torch and python3-onnx are not installed (./test.sh installs them)";
        if (!File.Exists("/usr/bin/python3"))
        {
            return false;
        }

        var (exit, _) = Start("-c", "import torch, onnx");
        return exit == 0;
    }

    private static void Python(params string[] args)
    {
        var (exit, output) = Start([Script, .. args]);
        Assert.True(exit == 0, $"explain_reference.py {string.Join(' ', args)} failed ({exit}):\n{output}");
    }

    private static (int Exit, string Output) Start(params string[] args)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out after 5 minutes");
        }

        return (process.ExitCode, stdout + stderr.GetAwaiter().GetResult());
    }
}
