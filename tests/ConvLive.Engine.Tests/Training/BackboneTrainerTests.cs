// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Training;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Training;

/// <summary>Fine-tuning backbone convolutions with the engine's gradients: the trained weight's gradient in the
/// training path against finite differences of the loss, training lowers the loss, and the caller's graph keeps its
/// own weights.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class BackboneTrainerTests(DeviceFixture devices) : IDisposable
{
    private readonly TempFolder _folder = new();

    public static TheoryData<string> Devices => BackendHarness.Devices;

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void TheLastConvolutionsWeightGradientMatchesFiniteDifferencesOfTheLoss(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var (trainer, views, targets, _) = Open(h.Backend, TrainLayers.LastConv, batch: device == "cpu" ? 2 : 1);
        using var owned = trainer;
        var name = trainer.Trainable[0];
        var w = new float[LengthOf(trainer, name)];
        trainer.ReadParameter(name, w);
        trainer.ComputeGradients(views, targets);
        var g = new float[w.Length];
        trainer.ReadGradient(name, g);
        Assert.Contains(g, v => v != 0);

        // The largest few elements, nudged both ways: (L(w+h) − L(w−h)) / 2h.
        foreach (var j in Enumerable.Range(0, g.Length).OrderByDescending(i => Math.Abs(g[i])).Take(device == "cpu" ? 4 : 2))
        {
            const float Step = 2e-3f;
            var nudged = (float[])w.Clone();
            nudged[j] = w[j] + Step;
            trainer.SetParameter(name, nudged);
            var up = trainer.Loss(views, targets);
            nudged[j] = w[j] - Step;
            trainer.SetParameter(name, nudged);
            var down = trainer.Loss(views, targets);
            trainer.SetParameter(name, w);
            var fd = (up - down) / (2 * Step);
            Assert.True(Math.Abs(fd - g[j]) <= 2e-3 + (5e-2 * Math.Abs(fd)), $"{device} {name}[{j}]: backward {g[j]:e4}, finite differences {fd:e4}");
        }
    }

    /// <summary>On the CPU backend only: the ILGPU backend's kernels are the same ones the check above runs, and its
    /// CPU accelerator (the one here) needs minutes for fifteen steps.</summary>
    [Fact]
    public void TrainingEveryConvolutionLowersTheLossAndLeavesTheCallersGraphAlone()
    {
        const string device = "cpu";
        using var h = BackendHarness.Open(devices, device);
        var (trainer, views, targets, graph) = Open(h.Backend, TrainLayers.All, batch: 4);
        using var owned = trainer;
        Assert.Equal(10, trainer.Trainable.Count); // five convolutions' weights and biases
        var before = graph.Initializers[trainer.Trainable[0]].Floats!.ToArray();
        var first = trainer.ComputeGradients(views, targets);
        for (var s = 0; s < 15; s++)
        {
            trainer.Step(views, targets);
        }

        var last = trainer.ComputeGradients(views, targets);
        Assert.True(last < first * 0.7, $"{device}: loss {first} -> {last}");
        Assert.Equal(before, graph.Initializers[trainer.Trainable[0]].Floats!);
        Assert.NotEqual(before, trainer.Snapshot()[trainer.Trainable[0]]);
    }

    public void Dispose() => _folder.Dispose();

    private (BackboneTrainer Trainer, PictureView[] Views, float[] Targets, Engine.Graph.ModelGraph Graph) Open(IBackend backend, TrainLayers layers, int batch)
    {
        var path = SeededAlexNet.Save(SeededAlexNet.Torchvision(seed: 8, size: 67, width: 0.0625), _folder.File($"tiny-{layers}-{batch}.onnx"));
        var graph = OnnxLoader.Load(path);
        var spec = new InputSpec { Size = 67, Resize = 67, Channels = "RGB", Scale = 1f / 255, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f] };
        using var features = FeatureExtractor.Open(backend, "tiny", graph, null, spec, trainFullyConnected: true);
        var cut = features.Cut;
        var head = new DenseHead([.. cut.InitialLayers, DenseHead.Create(cut.InitialLayers[^1].Outputs, [], 3, seed: 2).Layers[0]]);
        var trainer = BackboneTrainer.Create(backend, graph, null, spec, layers, head, new TrainerOptions(batch, OptimizerKind.Adam, 1e-3f), backboneLearningRate: 1e-3f);
        var random = new Random(5);
        var views = Enumerable.Range(0, batch).Select(i =>
        {
            var bgr = new byte[80 * 70 * 3];
            random.NextBytes(bgr);
            return new PictureView(bgr, 80, 70, new AugmentPolicy().Draw(i, trainer.PreprocessFor(80, 70), random));
        }).ToArray();
        var targets = new float[batch * 3];
        for (var i = 0; i < batch; i++)
        {
            targets[(i * 3) + (i % 3)] = 1f;
        }

        return (trainer, views, targets, graph);
    }

    private static int LengthOf(BackboneTrainer trainer, string name) => trainer.Snapshot()[name].Length;
}
