// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Capture;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Models;
using ConvLive.Engine.Training;

namespace ConvLive.App.Training;

/// <summary>
/// The second stage of <c>train --train-layers conv5|all</c>: after the head has learnt on frozen features, the
/// chosen backbone convolutions and the head train together on freshly drawn augmented views of the training
/// pictures (the backbone changes, so its features cannot be cached), a batch of views a step. The pictures are
/// decoded once and held in memory for the run.
/// </summary>
internal sealed class FineTuning : IDisposable
{
    private readonly List<(byte[] Bgr, int Width, int Height, int Label)> _pictures = [];
    private readonly AugmentPolicy _policy;
    private readonly int _seed;
    private readonly int _classes;
    private readonly float[] _probabilities;

    private FineTuning(BackboneTrainer trainer, AugmentPolicy policy, int seed, int classes)
    {
        Trainer = trainer;
        _policy = policy;
        _seed = seed;
        _classes = classes;
        _probabilities = new float[classes];
    }

    /// <summary>The backbone and head being trained.</summary>
    public BackboneTrainer Trainer { get; }

    /// <summary>Pictures trained on.</summary>
    public int Pictures => _pictures.Count;

    /// <summary>Steps a pass takes.</summary>
    public int Steps => ((_pictures.Count * _policy.Views) + Trainer.Batch - 1) / Trainer.Batch;

    /// <summary>Compiles the backbone for training from <paramref name="head"/> and decodes the training pictures.</summary>
    public static FineTuning Start(IBackend backend, ModelSource source, TrainLayers layers, DenseHead head, IReadOnlyList<LabeledFeatures> train, TrainingSettings settings, float backboneLearningRate, AugmentPolicy policy)
    {
        var trainer = BackboneTrainer.Create(backend, source.Graph, source.PreprocessGraph, source.Input, layers, head, settings.Trainer with { BatchSize = Math.Min(8, settings.Trainer.BatchSize) }, backboneLearningRate);
        var run = new FineTuning(trainer, policy, settings.Seed, head.Classes);
        foreach (var s in train)
        {
            if (ImageFile.DecodeBgr(s.Source, out var w, out var h) is { } bgr)
            {
                // Held in memory for the run: a large photo is kept at twice the network's input on its shorter side.
                var keep = 2 * source.Input.Size;
                if (Math.Min(w, h) > keep)
                {
                    var scale = keep / (double)Math.Min(w, h);
                    (bgr, w, h) = (ImageFile.ResizeBgr(bgr, w, h, (int)Math.Round(w * scale), (int)Math.Round(h * scale)), (int)Math.Round(w * scale), (int)Math.Round(h * scale));
                }

                run._pictures.Add((bgr, w, h, s.Label));
            }
        }

        return run;
    }

    /// <summary>One pass: every training picture's views (its plain view and random ones, drawn anew each epoch),
    /// shuffled, a batch a step.</summary>
    /// <param name="epoch">1-based; seeds the views.</param>
    /// <param name="progress">Called after each step with (done, total).</param>
    /// <param name="cancel">Stops between steps.</param>
    /// <returns>The mean loss of the epoch's steps.</returns>
    public double RunEpoch(int epoch, Action<int, int>? progress, CancellationToken cancel)
    {
        var random = new Random(unchecked((_seed * 1_000_003) + (epoch * 7_919)));
        var views = new List<PictureView>();
        var labels = new List<int>();
        foreach (var (bgr, w, h, label) in _pictures)
        {
            var p = Trainer.PreprocessFor(w, h);
            for (var v = 0; v < _policy.Views; v++)
            {
                views.Add(new PictureView(bgr, w, h, _policy.Draw(v, p, random)));
                labels.Add(label);
            }
        }

        var order = Enumerable.Range(0, views.Count).ToArray();
        random.Shuffle(order);
        var batch = Trainer.Batch;
        var steps = (views.Count + batch - 1) / batch;
        var step = new PictureView[batch];
        var targets = new float[batch * _classes];
        var total = 0.0;
        for (var s = 0; s < steps; s++)
        {
            cancel.ThrowIfCancellationRequested();
            Array.Clear(targets);
            for (var r = 0; r < batch; r++)
            {
                var i = order[((s * batch) + r) % order.Length]; // the last batch wraps round to the first views
                step[r] = views[i];
                targets[(r * _classes) + labels[i]] = 1f;
            }

            total += Trainer.Step(step, targets);
            progress?.Invoke(s + 1, steps);
        }

        return total / Math.Max(1, steps);
    }

    /// <summary>The trained head's class and probability for features of the trained backbone.</summary>
    public int Predict(float[] features, out float confidence)
    {
        Trainer.Head.Predict(features, _probabilities);
        var best = Engine.Models.Classification.ArgMax(_probabilities);
        confidence = _probabilities[best];
        return best;
    }

    /// <inheritdoc/>
    public void Dispose() => Trainer.Dispose();
}
