// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Live;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Training;

namespace ConvLive.App.Training;

/// <summary>
/// Capture and fine-tuning inside the live loop, on the inference thread: keys 1–9 keep the current frame and its
/// backbone features (already computed for display) in class k; samples already on disk get their features a few
/// per frame; T computes augmented views of every sample (through the live network, within a per-frame budget),
/// then trains a head epoch by epoch inside a per-frame time budget so the display never waits; the head then
/// classifies every frame (answering "not sure" under the threshold calibrated on its held-out samples), and is
/// exported beside the samples on a worker task.
/// </summary>
internal sealed class LiveTraining : IDisposable
{
    private const int Epochs = 40;
    private const double BudgetMs = 12;

    /// <summary>The size of the chart shown in the window after a run (drawn on the inference thread when the run
    /// ends, once a run: tens of milliseconds that the display, on its own thread, does not wait for).</summary>
    private const int ChartWidth = 640, ChartHeight = 360;

    /// <summary>The live trainer's augmentation: 8 views a sample (the picture and 7 random ones), so a T press on a
    /// few dozen samples starts training within seconds on two cores.</summary>
    public static readonly AugmentPolicy Views = new(Views: 8);

    private readonly AugmentPolicy _policy;
    private float _notSureBelow;
    private int _headVersion;
    private readonly Func<float[], int> _predictKey; // made once: a method group would allocate a delegate a frame
    private IBackend _backend;
    private LiveModel _model;
    private readonly TrainingSamples _samples;
    private readonly HeadExporter _exporter;
    private FeatureExtractor _features;
    private readonly ConcurrentQueue<int> _captures = new();
    private readonly ConcurrentQueue<TrainingCommand> _commands = new();
    private readonly float[] _probabilities;
    private ClassifierTraining? _training;
    private LiveFineTuning? _fine;
    private bool _fineAfterHead;
    private Dictionary<string, float[]>? _tuned; // backbone weights fine-tuned with G, by initializer name
    private volatile bool _exportChanged;
    private HeadTrainer? _head;
    private int[] _headClasses = [];
    private int[] _trainingClasses = [];
    private bool _pendingStart;
    private bool _featuresReady;
    private int _queuedTrains;
    private string _state = "keys 1-9 capture a class, Backspace undo, T train";
    private volatile TrainingStatus _status;

    public LiveTraining(IBackend backend, LiveModel model, BackboneFiles? files, string root, IReadOnlyList<string> classes, AugmentPolicy policy)
    {
        _policy = policy;
        _predictKey = PredictKey;
        _backend = backend;
        _model = model;
        _samples = new TrainingSamples(root, classes);
        _exporter = new HeadExporter(files, () => _exportChanged = true); // republished on the inference thread
        _features = FeatureExtractor.Over(model);
        _probabilities = new float[9];
        _status = Publish();
    }

    /// <summary>Names for keys 1–9: the given ones, then class1… skipping names already taken.</summary>
    internal static string[] Names(IReadOnlyList<string> given)
    {
        var names = given.Take(9).ToList();
        for (var n = 1; names.Count < 9; n++)
        {
            var candidate = $"class{n}";
            if (!names.Contains(candidate))
            {
                names.Add(candidate);
            }
        }

        return [.. names];
    }

    /// <summary>Class names by key (1–9).</summary>
    public IReadOnlyList<string> Classes => _samples.Store.Classes;

    /// <summary>The latest status; render thread.</summary>
    public TrainingStatus Status => _status;

    /// <summary>The head's class names in output order while a head is active, else null.</summary>
    public string[]? HeadLabels { get; private set; }

    /// <summary>The live map of the samples (V shows it).</summary>
    public LiveSampleMap Map { get; } = new();

    /// <summary>Where the last frame fell on the map, or null (hidden, or fewer than two samples with features).</summary>
    public (float X, float Y)? MapPoint { get; private set; }

    /// <summary>The active head's "not sure" threshold on its top probability (0 without a head).</summary>
    public float NotSureBelow => _head is null ? 0f : _notSureBelow;

    /// <summary>Render thread: key k (0-based) captured the current frame.</summary>
    public void Capture(int k) => _captures.Enqueue(k);

    /// <summary>Every stored sample has its features (the map can show them all); any thread.</summary>
    public bool FeaturesReady => Volatile.Read(ref _featuresReady);

    private readonly bool[] _waiting = new bool[10];

    /// <summary>While frames are unusable, a class's captures asked for are kept as one (taken from the next good frame).</summary>
    private void TrimCaptures()
    {
        Array.Clear(_waiting);
        for (var n = _captures.Count; n > 0 && _captures.TryDequeue(out var k); n--)
        {
            if (k >= 0 && k < _waiting.Length && !_waiting[k])
            {
                _waiting[k] = true;
                _captures.Enqueue(k);
            }
        }
    }

    /// <summary>Render thread: a command.</summary>
    public void Post(TrainingCommand command)
    {
        if (command == TrainingCommand.Train)
        {
            Interlocked.Increment(ref _queuedTrains);
        }

        _commands.Enqueue(command);
    }

    /// <summary>True while a training request is queued, computing features or running; any thread.</summary>
    public bool Busy => Volatile.Read(ref _queuedTrains) > 0 || _status.Training;

    /// <summary>Inference thread, after the frame ran: captures, the head's prediction, then (within a time budget)
    /// features of stored samples and training epochs.</summary>
    /// <returns>True when the head wrote class probabilities into <paramref name="top"/>.</returns>
    public bool AfterFrame(ReadOnlySpan<byte> bgr, int width, int height, int[] top, float[] probabilities) =>
        AfterFrame(bgr, width, height, top, probabilities, usable: true);

    /// <summary>Inference thread, after a frame the network could not read (NaN or Inf out): commands and the
    /// training or fine-tuning in progress go on; captures asked for wait for the next good frame (at most one
    /// each, so a held key does not pile up a burst of one picture), and nothing is predicted or mapped.</summary>
    public void AfterUnusableFrame() => AfterFrame([], 0, 0, [], [], usable: false);

    private bool AfterFrame(ReadOnlySpan<byte> bgr, int width, int height, int[] top, float[] probabilities, bool usable)
    {
        var changed = false;
        if (!usable)
        {
            TrimCaptures();
        }

        while (usable && _captures.TryDequeue(out var k))
        {
            var features = new float[_features.FeatureLength];
            _backend.Download(features, _model.Tensor(_features.Cut.FeatureValue));
            _samples.Add(k, bgr, width, height, features);
            changed = true;
        }

        var predicted = usable && _head is not null && Predict(top, probabilities);

        // The map reads the frame's features before stored samples run through the same network below.
        MapPoint = !usable ? null : Map.Update(_samples, (_samples.Version * 397) + _headVersion, _head is null ? null : _predictKey, _backend, _model.Tensor(_features.Cut.FeatureValue));
        while (_commands.TryDequeue(out var c))
        {
            changed |= Handle(c);
            if (c == TrainingCommand.Train)
            {
                _status = Publish(); // Busy never reads false between the request and the run it starts
                Interlocked.Decrement(ref _queuedTrains);
            }
        }

        if (_exportChanged)
        {
            _exportChanged = false;
            changed = true;
        }

        var started = Stopwatch.GetTimestamp(); // a timestamp, not a Stopwatch object: nothing allocated per frame
        if (!_featuresReady)
        {
            // Samples already on disk get their features a few per frame from the start (more once T asked).
            _featuresReady = ComputeStoredFeatures(started, _pendingStart ? 25 * BudgetMs : BudgetMs);
            changed |= _pendingStart;
        }

        if (_pendingStart && _featuresReady && (!_policy.Enabled || ComputeViews(started, 25 * BudgetMs)))
        {
            StartTraining();
            changed = true;
        }

        if (_fine is not null)
        {
            var done = _fine.StepWithin(started, BudgetMs);
            _state = string.Create(CultureInfo.InvariantCulture, $"fine-tuning {string.Join(", ", _fine.Trainable)}: step {_fine.Done}/{_fine.Total}  loss {_fine.Loss:0.000}  (Esc cancels)");
            changed = true;
            if (done)
            {
                FinishFineTuning();
            }
        }

        while (_training is not null && Stopwatch.GetElapsedTime(started).TotalMilliseconds < BudgetMs)
        {
            var epoch = _training.RunEpoch();
            _state = string.Create(CultureInfo.InvariantCulture, $"training {epoch.Epoch}/{Epochs}  loss {epoch.Loss:0.000}  held-out {HeadFiles.Percent(epoch.HeldOutAccuracy)}  (Esc cancels)");
            changed = true;
            if (epoch.Epoch >= Epochs)
            {
                Finish();
            }
        }

        if (changed)
        {
            _status = Publish();
        }

        return predicted;
    }

    /// <summary>Inference thread, after a device failure: the same samples on a new backend and model; the head and
    /// any run lived on the failed device and are dropped.</summary>
    public void Rebind(IBackend backend, LiveModel model)
    {
        _backend = backend;
        _model = model;
        _features = FeatureExtractor.Over(model);
        ApplyTuned(); // the reopened network starts from the file's weights
        _training = null; // its buffers were on the failed device: not disposed through it
        _fine = null;
        _head = null;
        _headVersion++;
        _pendingStart = false;
        HeadLabels = null;
        _state = "the device failed: samples kept, press T to train again on the CPU";
        _status = Publish();
    }

    public void Dispose()
    {
        _samples.Store.Flush(TimeSpan.FromSeconds(10));
        _exporter.Wait(TimeSpan.FromSeconds(30));
        _training?.Dispose();
        _fine?.Dispose();
        _head?.Dispose();
    }

    private bool Handle(TrainingCommand c)
    {
        switch (c)
        {
            case TrainingCommand.RemoveLast:
                return _samples.RemoveLast();
            case TrainingCommand.Train when _fine is not null:
                _state = "fine-tuning in progress: T after it ends (Esc cancels it)";
                return true;
            case TrainingCommand.Train when _training is null:
                var used = Enumerable.Range(0, 9).Where(k => _samples.Count(k) > 0).ToArray();
                if (used.Length < 2 || used.Any(k => _samples.Count(k) < 2))
                {
                    _state = "training needs two or more classes with two or more samples each";
                    return true;
                }

                _trainingClasses = used;
                _state = "training: computing features of stored samples...";
                _pendingStart = true;
                _samples.Store.Flush(TimeSpan.FromSeconds(5)); // captured pictures on disk, for their views
                return true;
            case TrainingCommand.FineTune when _training is not null || _pendingStart:
                _fineAfterHead = true; // G right after T: fine-tuning follows the head
                return true;
            case TrainingCommand.FineTune when _head is null:
                _state = "G fine-tunes the backbone under a trained head: press T first";
                return true;
            case TrainingCommand.FineTune when _fine is null:
                StartFineTuning();
                return true;
            case TrainingCommand.Cancel when _fine is not null:
                _fineAfterHead = false;
                _fine.Dispose();
                _fine = null;
                _state = "fine-tuning cancelled; the network keeps its weights";
                return true;
            case TrainingCommand.Cancel when _training is not null || _pendingStart:
                _fineAfterHead = false;
                _training?.Dispose();
                _training = null;
                _pendingStart = false;
                _state = "training cancelled" + (_head is null ? string.Empty : "; the previous head stays");
                return true;
            default:
                return false;
        }
    }

    /// <summary>Computes features of samples loaded from disk within the budget.</summary>
    /// <returns>True when every sample has them.</returns>
    private bool ComputeStoredFeatures(long started, double budgetMs)
    {
        var missing = _samples.ComputeStoredFeatures(_features, started, budgetMs);
        if (missing > 0 && _pendingStart)
        {
            _state = $"training: features of stored samples, {missing} to go...";
        }

        return missing == 0;
    }

    /// <summary>Computes augmented views of the samples being trained on within the budget.</summary>
    /// <returns>True when every sample has them.</returns>
    private bool ComputeViews(long started, double budgetMs)
    {
        var missing = _samples.ComputeViews(_model, _features.Cut.FeatureValue, _trainingClasses, _policy, started, budgetMs);
        _state = missing > 0
            ? string.Create(CultureInfo.InvariantCulture, $"training: augmented views, {_samples.ViewCount(_trainingClasses)} done, {missing} pictures to go...")
            : _state;
        return missing == 0;
    }

    /// <summary>Training runs started, finished (a head in use) and cancelled or failed; any thread.</summary>
    public (int Started, int Finished) Runs => (Volatile.Read(ref _runsStarted), Volatile.Read(ref _runsFinished));

    /// <summary>Heads written to disk and exports that failed.</summary>
    public (int Saved, int Failed) Exports => _exporter.Counts;

    private int _runsStarted;
    private int _runsFinished;

    private void StartTraining()
    {
        Interlocked.Increment(ref _runsStarted);
        var samples = _samples.Labelled(_trainingClasses);
        (_training, _) = HeadTraining.Start(_backend, _features.Cut, samples, _trainingClasses.Length, hidden: 0, new TrainingSettings(new TrainerOptions(32, OptimizerKind.Adam, 1e-3f, 1e-4f)));
        _pendingStart = false;
        _state = $"training on {samples.Count} samples ({_training.TrainingRows} views)...";
    }

    /// <summary>The head's class for stored features, as a key number (for the map's marks).</summary>
    private int PredictKey(float[] features)
    {
        var classes = _headClasses.Length;
        _head!.Predict(features, _probabilities.AsSpan(0, classes));
        return _headClasses[Classification.ArgMax(_probabilities.AsSpan(0, classes))];
    }

    private bool Predict(int[] top, float[] probabilities)
    {
        // The head reads the backbone's features where the network left them: no copy to the host.
        var classes = _headClasses.Length;
        _head!.Predict(_model.Tensor(_features.Cut.FeatureValue), _probabilities.AsSpan(0, classes));
        Classification.Top(_probabilities.AsSpan(0, classes), top, probabilities);
        return true;
    }

    private void Finish()
    {
        var training = _training!;
        _head?.Dispose();
        _head = null;
        var trained = training.Trainer.Snapshot();
        _head = new HeadTrainer(_backend, trained, new TrainerOptions(1));
        _headVersion++;
        _headClasses = _trainingClasses;
        HeadLabels = _headClasses.Select(k => _samples.Store.Classes[k]).ToArray();
        var last = training.History[^1];
        var confusion = training.ConfusionMatrix();
        var perClass = training.PerClassAccuracy(training.HeldOut);
        _confusion = Enumerable.Range(0, _headClasses.Length)
            .Select(i => $"{HeadLabels[i],-10}" + string.Concat(Enumerable.Range(0, _headClasses.Length).Select(j => confusion[i, j].ToString(CultureInfo.InvariantCulture).PadLeft(4))) + HeadFiles.Percent(perClass[i]).PadLeft(8))
            .ToArray();
        _history = (training.History.Select(e => e.Loss).ToArray(), training.History.Select(e => e.HeldOutAccuracy).ToArray());
        _notSureBelow = training.CalibrateNotSure();
        Interlocked.Increment(ref _runsFinished);
        _chart = TryChart(training, HeadLabels.Length);
        _state = string.Create(CultureInfo.InvariantCulture, $"head: {HeadLabels.Length} classes, {training.TrainingRows} views trained on, held-out {HeadFiles.Percent(last.HeldOutAccuracy)}, not sure below {_notSureBelow * 100:0}%");
        training.Dispose();
        _training = null;
        _exporter.Start(Path.Combine(_samples.Store.Root, "head.onnx"), _features.Cut.FeatureValue, trained, HeadLabels, _notSureBelow, _tuned);
        if (_fineAfterHead)
        {
            StartFineTuning();
        }
    }

    /// <summary>The run's chart, or null when it cannot be drawn (no Skia native library, say): a chart is never
    /// worth the head that was just trained.</summary>
    private static ChartPicture? TryChart(ClassifierTraining training, int classes)
    {
        try
        {
            return LossChart.RenderRgba(training.History, $"head on {classes} classes, {training.TrainingRows} views", ChartWidth, ChartHeight);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    private void StartFineTuning()
    {
        _fineAfterHead = false;
        _samples.Store.Flush(TimeSpan.FromSeconds(5));
        try
        {
            _fine = LiveFineTuning.Start(_backend, _model, _features.Cut, _head!.Snapshot(), _samples.Labelled(_headClasses, featuresNeeded: false), _policy.Enabled ? _policy : AugmentPolicy.None, epochs: 2, _tuned);
            _state = _fine is null ? "fine-tuning: no sample decodes" : $"fine-tuning {string.Join(", ", _fine.Trainable)} with the head...";
        }
        catch (Engine.Graph.ModelException e)
        {
            _state = $"cannot fine-tune this network: {e.Message}";
        }
    }

    /// <summary>The live network takes the fine-tuned weights and the head trained with them; the samples' features
    /// are computed again (they came from the old weights), and the head is exported with the backbone it needs.</summary>
    private void FinishFineTuning()
    {
        var fine = _fine!;
        _fine = null;
        var (head, weights) = fine.Result();
        var trained = string.Join(", ", fine.Trainable);
        var steps = fine.Done;
        fine.Dispose();
        _tuned = weights;
        ApplyTuned();
        _head?.Dispose();
        _head = new HeadTrainer(_backend, head, new TrainerOptions(1));
        _headVersion++;
        _samples.Store.Flush(TimeSpan.FromSeconds(5)); // every capture on disk before its features are recomputed from it
        _samples.ForgetFeatures();
        _featuresReady = false;
        _state = string.Create(CultureInfo.InvariantCulture, $"head + {trained} fine-tuned ({steps} steps); the network shows them");
        _exporter.Start(Path.Combine(_samples.Store.Root, "head.onnx"), _features.Cut.FeatureValue, head, HeadLabels!, _notSureBelow, weights);
    }

    /// <summary>The fine-tuned weights into the live network (after fine-tuning, and on a network reopened after a device failure).</summary>
    private void ApplyTuned()
    {
        foreach (var (name, values) in _tuned ?? [])
        {
            _backend.SetParameter(_model.Tensor(name), values);
        }
    }

    private string[] _confusion = [];
    private (double[] Loss, double[] Accuracy) _history = ([], []);
    private ChartPicture? _chart;

    private TrainingStatus Publish()
    {
        var lines = new List<string>(_samples.CountLines()) { _state };
        if (_exporter.State.Length > 0)
        {
            lines.Add(_exporter.State);
        }

        if (_samples.Store.Failure is { } failure)
        {
            lines.Add("save failed: " + failure);
        }

        lines.AddRange(_confusion.Length > 0 ? ["confusion (held out) and right per class:", .. _confusion] : []);
        var (loss, accuracy) = _training is null ? _history : (_training.History.Select(e => e.Loss).ToArray(), _training.History.Select(e => e.HeldOutAccuracy).ToArray());
        var busy = _training is not null || _pendingStart || _fine is not null;
        return new TrainingStatus(lines, loss, accuracy, busy, _head is not null && !busy, _chart);
    }

}
