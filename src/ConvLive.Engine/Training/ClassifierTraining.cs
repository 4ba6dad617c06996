// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;

namespace ConvLive.Engine.Training;

/// <summary>One picture's cached backbone features and its class.</summary>
/// <param name="Features">The feature vector of the picture as the live view sees it.</param>
/// <param name="Label">Class index.</param>
/// <param name="Source">Where it came from (a file), for reports.</param>
/// <param name="Views">Feature vectors of augmented views of the same picture (trained on with it; held out with it), or null.</param>
public sealed record LabeledFeatures(float[] Features, int Label, string Source, IReadOnlyList<float[]>? Views = null)
{
    /// <summary>Every feature vector of the picture: the plain one, then its views.</summary>
    public IEnumerable<float[]> All => Views is null ? [Features] : Views.Prepend(Features);
}

/// <summary>What one epoch did.</summary>
/// <param name="Epoch">1-based.</param>
/// <param name="Loss">Mean training loss over the epoch's steps.</param>
/// <param name="HeldOutAccuracy">Share of held-out samples classified right after the epoch (NaN when none are held out).</param>
public readonly record struct EpochResult(int Epoch, double Loss, double HeldOutAccuracy);

/// <summary>How a classifier is trained.</summary>
/// <param name="Trainer">Batch size and optimizer.</param>
/// <param name="HeldOutFraction">Share of each class kept out of training to measure accuracy.</param>
/// <param name="Seed">Split and shuffle seed.</param>
public sealed record TrainingSettings(TrainerOptions Trainer, double HeldOutFraction = 0.15, int Seed = 1);

/// <summary>
/// Trains a head on cached features: each class's pictures split into training and held-out pictures (15% by
/// default, at least one held out when a class has three or more; a picture's augmented views go where it goes),
/// shuffled full batches of every training vector each epoch, held-out accuracy (on the pictures as the live view
/// sees them) after every epoch, a confusion matrix, per-class accuracy and a calibrated "not sure" threshold.
/// </summary>
/// <remarks>Owns its <see cref="HeadTrainer"/>; one thread; runs epoch by epoch so a caller can interleave it with other work.</remarks>
public sealed class ClassifierTraining : IDisposable
{
    private readonly HeadTrainer _trainer;
    private readonly Random _random;
    private readonly int _batch;
    private readonly float[] _x;
    private readonly float[] _t;
    private readonly float[] _probs;
    private readonly List<EpochResult> _history = [];
    private readonly int[] _order;
    private readonly List<(float[] Features, int Label)> _rows;

    /// <summary>Splits the samples and uploads the head.</summary>
    /// <param name="backend">Where it trains; not owned.</param>
    /// <param name="head">The starting head (its width must match the features).</param>
    /// <param name="samples">Every sample.</param>
    /// <param name="settings">Optimizer, batch, split.</param>
    /// <exception cref="ArgumentException">Fewer than two classes have samples, or feature widths differ from the head's.</exception>
    public ClassifierTraining(IBackend backend, DenseHead head, IReadOnlyList<LabeledFeatures> samples, TrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(settings);
        if (samples.Any(s => s.Features.Length != head.Inputs || s.Label < 0 || s.Label >= head.Classes))
        {
            throw new ArgumentException($"every sample needs {head.Inputs} features and a label below {head.Classes}", nameof(samples));
        }

        Classes = head.Classes;
        _random = new Random(settings.Seed);
        var train = new List<LabeledFeatures>();
        var held = new List<LabeledFeatures>();
        foreach (var group in samples.GroupBy(s => s.Label).OrderBy(g => g.Key))
        {
            var items = group.OrderBy(_ => _random.Next()).ToList();
            var keep = items.Count >= 3 ? Math.Max(1, (int)Math.Round(items.Count * settings.HeldOutFraction)) : 0;
            held.AddRange(items.Take(keep));
            train.AddRange(items.Skip(keep));
        }

        if (train.Select(s => s.Label).Distinct().Count() < 2)
        {
            throw new ArgumentException("training needs samples of at least two classes", nameof(samples));
        }

        Train = train;
        HeldOut = held;
        _rows = train.SelectMany(s => s.All.Select(f => (f, s.Label))).ToList();
        if (_rows.Any(r => r.Features.Length != head.Inputs))
        {
            throw new ArgumentException($"every view needs {head.Inputs} features", nameof(samples));
        }

        _batch = Math.Min(settings.Trainer.BatchSize, _rows.Count);
        _trainer = new HeadTrainer(backend, head, settings.Trainer with { BatchSize = _batch });
        _x = new float[_batch * head.Inputs];
        _t = new float[_batch * head.Classes];
        _probs = new float[head.Classes];
        _order = Enumerable.Range(0, _rows.Count).ToArray();
    }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>The training pictures.</summary>
    public IReadOnlyList<LabeledFeatures> Train { get; }

    /// <summary>Feature vectors trained on per epoch (the training pictures and their views).</summary>
    public int TrainingRows => _rows.Count;

    /// <summary>The held-out samples.</summary>
    public IReadOnlyList<LabeledFeatures> HeldOut { get; }

    /// <summary>Every epoch so far.</summary>
    public IReadOnlyList<EpochResult> History => _history;

    /// <summary>The head being trained (also runs it on live features).</summary>
    public HeadTrainer Trainer => _trainer;

    /// <summary>One pass over the training vectors in shuffled full batches, then the held-out accuracy.</summary>
    /// <returns>The epoch's figures.</returns>
    public EpochResult RunEpoch()
    {
        _random.Shuffle(_order);
        var steps = (_rows.Count + _batch - 1) / _batch;
        var d = _trainer.Inputs;
        var lossSum = 0.0;
        for (var s = 0; s < steps; s++)
        {
            Array.Clear(_t);
            for (var r = 0; r < _batch; r++)
            {
                var (features, label) = _rows[_order[((s * _batch) + r) % _order.Length]];
                features.CopyTo(_x, r * d);
                _t[(r * Classes) + label] = 1f;
            }

            lossSum += _trainer.Step(_x, _t);
        }

        var result = new EpochResult(_history.Count + 1, lossSum / steps, Accuracy(HeldOut));
        _history.Add(result);
        return result;
    }

    /// <summary>The class a feature vector is given.</summary>
    /// <param name="features">The features.</param>
    /// <returns>The class index.</returns>
    public int Predict(float[] features) => Predict(features, out _);

    /// <summary>The class a feature vector is given, and its probability.</summary>
    /// <param name="features">The features.</param>
    /// <param name="confidence">The class's probability.</param>
    /// <returns>The class index.</returns>
    public int Predict(float[] features, out float confidence)
    {
        _trainer.Predict(features, _probs);
        var best = 0;
        for (var k = 1; k < _probs.Length; k++)
        {
            best = _probs[k] > _probs[best] ? k : best;
        }

        confidence = _probs[best];
        return best;
    }

    /// <summary>Share of each class's samples classified right (NaN for a class without samples).</summary>
    /// <param name="samples">The samples.</param>
    /// <returns>One share per class.</returns>
    public double[] PerClassAccuracy(IReadOnlyList<LabeledFeatures> samples) => Evaluation.PerClass(samples, Classes, Predict);

    /// <summary>The "not sure" threshold calibrated on the held-out pictures and their views (see <see cref="Evaluation.NotSureThreshold"/>).</summary>
    /// <param name="precision">Wanted share of right answers among confident ones.</param>
    /// <returns>The threshold in [½, 0.99].</returns>
    public float CalibrateNotSure(double precision = 0.95) => Evaluation.NotSureThreshold(HeldOut, Predict, precision);

    /// <summary>Share of <paramref name="samples"/> classified right (NaN for none).</summary>
    /// <param name="samples">The samples.</param>
    /// <returns>Accuracy in [0, 1].</returns>
    public double Accuracy(IReadOnlyList<LabeledFeatures> samples) => Evaluation.Accuracy(samples, Predict);

    /// <summary>Confusion matrix of <paramref name="samples"/> (the held-out ones by default): [true class, predicted class] counts.</summary>
    /// <param name="samples">The samples, or null for the held-out ones.</param>
    /// <returns>Classes×Classes counts.</returns>
    public int[,] ConfusionMatrix(IReadOnlyList<LabeledFeatures>? samples = null) => Evaluation.Confusion(samples ?? HeldOut, Classes, Predict);

    /// <inheritdoc/>
    public void Dispose() => _trainer.Dispose();
}
