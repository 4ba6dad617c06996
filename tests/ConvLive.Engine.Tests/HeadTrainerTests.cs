// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Tests;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Engine.Training;

namespace ConvLive.Engine.Tests;

/// <summary>The head's backward pass against finite differences of its loss, and training runs that must learn.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class HeadTrainerTests(DeviceFixture devices)
{
    public static TheoryData<string> Devices => BackendHarness.Devices;

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void GradientsOfEveryParameterMatchFiniteDifferences(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        const int rows = 4, inputs = 6, classes = 3;
        var head = DenseHead.Create(inputs, [5], classes, seed: 3);
        // Non-zero biases so their gradients are exercised away from the start.
        foreach (var l in head.Layers)
        {
            for (var i = 0; i < l.Bias.Length; i++)
            {
                l.Bias[i] = 0.1f * (i + 1);
            }
        }

        var x = BackendHarness.Random(rows * inputs, 5, scale: 2f);
        var t = OneHot([0, 2, 1, 2], classes);
        using var trainer = new HeadTrainer(h.Backend, head, new TrainerOptions(rows));
        var loss = trainer.ComputeGradients(x, t);
        Assert.Equal(MeanLoss(head, x, t, rows), loss, 4);
        for (var li = 0; li < head.Layers.Count; li++)
        {
            var layer = head.Layers[li];
            var gw = new float[layer.Weight.Length];
            var gb = new float[layer.Bias.Length];
            trainer.ReadGradient(li, gw, gb);
            Numerics.AssertClose(FiniteDifferences(head, layer.Weight, x, t, rows), gw, 1e-4, 1e-2, $"{device} layer {li} weight");
            Numerics.AssertClose(FiniteDifferences(head, layer.Bias, x, t, rows), gb, 1e-4, 1e-2, $"{device} layer {li} bias");
            Assert.Contains(gw, g => g != 0f);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void PredictionsMatchTheHostReference(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var head = DenseHead.Create(10, [8], 4, seed: 9);
        using var trainer = new HeadTrainer(h.Backend, head, new TrainerOptions(2));
        var x = BackendHarness.Random(10, 2);
        var probs = new float[4];
        trainer.Predict(x, probs);
        var logits = head.ReferenceLogits(x);
        var max = logits.Max();
        var sum = logits.Sum(v => Math.Exp(v - max));
        Numerics.AssertClose(logits.Select(v => (float)(Math.Exp(v - max) / sum)).ToArray(), probs, 1e-6, 1e-4, device);
    }

    [SkippableTheory]
    [InlineData("cpu", OptimizerKind.Adam, 0)]
    [InlineData("cpu", OptimizerKind.Sgd, 16)]
    [InlineData("ilgpu-cpu", OptimizerKind.Adam, 16)]
    [InlineData("cuda", OptimizerKind.Adam, 16)]
    public void TrainingLearnsSeparableClassesToHighHeldOutAccuracy(string device, OptimizerKind optimizer, int hidden)
    {
        using var h = BackendHarness.Open(devices, device);
        // Three Gaussian blobs in 32-D with unit noise; centres 3 apart: the Bayes accuracy is ~100%.
        const int dims = 32, classes = 3, perClass = 60;
        var random = new Random(4);
        var centres = Enumerable.Range(0, classes).Select(_ => Enumerable.Range(0, dims).Select(_ => (float)(random.NextDouble() * 2 - 1) * 1.5f).ToArray()).ToArray();
        float[] Sample(int c) => centres[c].Select(v => v + (float)Gaussian(random)).ToArray();
        var train = Enumerable.Range(0, classes * perClass).Select(i => (Features: Sample(i % classes), Label: i % classes)).ToArray();
        var heldOut = Enumerable.Range(0, classes * 20).Select(i => (Features: Sample(i % classes), Label: i % classes)).ToArray();

        var head = DenseHead.Create(dims, hidden > 0 ? [hidden] : [], classes, seed: 1);
        var options = new TrainerOptions(16, optimizer, optimizer == OptimizerKind.Adam ? 1e-2f : 5e-2f, 1e-4f);
        using var trainer = new HeadTrainer(h.Backend, head, options);
        var batch = new float[16 * dims];
        var targets = new float[16 * classes];
        float first = 0, last = 0;
        for (var step = 0; step < 150; step++)
        {
            Array.Clear(targets);
            for (var r = 0; r < 16; r++)
            {
                var s = train[random.Next(train.Length)];
                s.Features.CopyTo(batch, r * dims);
                targets[(r * classes) + s.Label] = 1f;
            }

            last = trainer.Step(batch, targets);
            first = step == 0 ? last : first;
        }

        var probs = new float[classes];
        var correct = heldOut.Count(s =>
        {
            trainer.Predict(s.Features, probs);
            return Array.IndexOf(probs, probs.Max()) == s.Label;
        });
        Assert.True(last < first / 4, $"{device} {optimizer}: loss went from {first} to {last}");
        Assert.True(correct >= heldOut.Length * 95 / 100, $"{device} {optimizer}: {correct}/{heldOut.Length} held out correct");
        Assert.Equal(150, trainer.Steps);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static float[] OneHot(int[] labels, int classes)
    {
        var t = new float[labels.Length * classes];
        for (var i = 0; i < labels.Length; i++)
        {
            t[(i * classes) + labels[i]] = 1f;
        }

        return t;
    }

    private static double MeanLoss(DenseHead head, float[] x, float[] t, int rows)
    {
        var inputs = head.Inputs;
        var logits = new List<float>();
        for (var r = 0; r < rows; r++)
        {
            logits.AddRange(head.ReferenceLogits(x.AsSpan(r * inputs, inputs)).Select(v => (float)v));
        }

        return TrainingReference.CrossEntropy([.. logits], t, rows).Average();
    }

    /// <summary>d(mean loss)/dθ for every element of <paramref name="parameter"/> (a live array inside the head).</summary>
    private static float[] FiniteDifferences(DenseHead head, float[] parameter, float[] x, float[] t, int rows)
    {
        const float step = 1e-2f;
        var grad = new float[parameter.Length];
        for (var i = 0; i < parameter.Length; i++)
        {
            var keep = parameter[i];
            parameter[i] = keep + step;
            var up = MeanLoss(head, x, t, rows);
            parameter[i] = keep - step;
            var down = MeanLoss(head, x, t, rows);
            parameter[i] = keep;
            grad[i] = (float)((up - down) / (2 * step));
        }

        return grad;
    }
}
