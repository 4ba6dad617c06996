// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.Capture;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Live;
using ConvLive.Engine.Training;

namespace ConvLive.App.Training;

/// <summary>
/// Key G, once a head is trained: the backbone's last convolution and the head train together on augmented views
/// of the captured samples, one view a step and at least one step a frame on the inference thread (the display
/// keeps its rate; inference slows while it runs), on a copy of the backbone; when it ends the live network takes
/// the trained weights, so every view of the window shows the fine-tuned network.
/// </summary>
/// <remarks>Inference thread only. Owns its backbone copy.</remarks>
internal sealed class LiveFineTuning : IDisposable
{
    private readonly BackboneTrainer _trainer;
    private readonly List<(byte[] Bgr, int Width, int Height, int Label)> _pictures = [];
    private readonly AugmentPolicy _policy;
    private readonly int _classes;
    private readonly int _epochs;
    private readonly float[] _targets;
    private readonly PictureView[] _step = new PictureView[1];
    private readonly Random _random = new(7);
    private int[] _order = [];
    private int _next;
    private int _epoch;
    private double _lossSum;

    private LiveFineTuning(BackboneTrainer trainer, AugmentPolicy policy, int classes, int epochs)
    {
        _trainer = trainer;
        _policy = policy;
        _classes = classes;
        _epochs = epochs;
        _targets = new float[classes];
    }

    /// <summary>Steps taken.</summary>
    public int Done { get; private set; }

    /// <summary>Steps in all.</summary>
    public int Total => _pictures.Count * Math.Max(1, _policy.Views) * _epochs;

    /// <summary>Mean loss of the steps so far in this epoch.</summary>
    public double Loss => _lossSum / Math.Max(1, _next);

    /// <summary>The backbone tensors trained.</summary>
    public IReadOnlyList<string> Trainable => _trainer.Trainable;

    /// <summary>Compiles a backbone copy up to the live head's cut and decodes the samples' pictures.</summary>
    /// <returns>The run, or null when no sample decodes.</returns>
    /// <param name="backend">Where it trains; not owned.</param>
    /// <param name="model">The live network (its graph and preprocessing; not changed here).</param>
    /// <param name="cut">The live head's cut.</param>
    /// <param name="head">The trained head to start from.</param>
    /// <param name="samples">The samples' files and labels.</param>
    /// <param name="policy">How views are drawn.</param>
    /// <param name="epochs">Passes.</param>
    /// <param name="tuned">Weights an earlier fine-tuning left (the start for this one), or null.</param>
    public static LiveFineTuning? Start(IBackend backend, LiveModel model, BackboneCut cut, DenseHead head, IReadOnlyList<LabeledFeatures> samples, AugmentPolicy policy, int epochs, IReadOnlyDictionary<string, float[]>? tuned)
    {
        var trainer = BackboneTrainer.Create(backend, model.Graph, model.PreprocessGraph, model.Spec, TrainLayers.LastConv, head, new TrainerOptions(1, Engine.Ops.OptimizerKind.Adam, 1e-3f), 1e-4f, cut);
        foreach (var name in trainer.Trainable)
        {
            if (tuned is not null && tuned.TryGetValue(name, out var values))
            {
                trainer.SetParameter(name, values);
            }
        }

        var run = new LiveFineTuning(trainer, policy, head.Classes, epochs);
        foreach (var s in samples)
        {
            if (ImageFile.DecodeBgr(s.Source, out var w, out var h) is { } bgr)
            {
                run._pictures.Add((bgr, w, h, s.Label));
            }
        }

        if (run._pictures.Count == 0)
        {
            run.Dispose();
            return null;
        }

        return run;
    }

    /// <summary>Steps until <paramref name="budgetMs"/> has passed since <paramref name="started"/> (one at least).</summary>
    /// <returns>True when every epoch is done.</returns>
    public bool StepWithin(long started, double budgetMs)
    {
        do
        {
            if (_next >= _order.Length)
            {
                if (_epoch == _epochs)
                {
                    return true;
                }

                _order = Enumerable.Range(0, _pictures.Count * Math.Max(1, _policy.Views)).ToArray();
                _random.Shuffle(_order);
                (_next, _lossSum) = (0, 0);
                _epoch++;
            }

            var item = _order[_next++];
            var (bgr, w, h, label) = _pictures[item / Math.Max(1, _policy.Views)];
            _step[0] = new PictureView(bgr, w, h, _policy.Draw(item % Math.Max(1, _policy.Views), _trainer.PreprocessFor(w, h), _random));
            Array.Clear(_targets);
            _targets[label] = 1f;
            _lossSum += _trainer.Step(_step, _targets);
            Done++;
        }
        while (Stopwatch.GetElapsedTime(started).TotalMilliseconds < budgetMs);

        return false;
    }

    /// <summary>The trained head and backbone weights.</summary>
    public (DenseHead Head, Dictionary<string, float[]> Weights) Result() => (_trainer.Head.Snapshot(), _trainer.Snapshot());

    /// <inheritdoc/>
    public void Dispose() => _trainer.Dispose();
}
