// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Training;

namespace ConvLive.App.Training;

/// <summary>Writes a trained head as a standalone classifier (HEAD.onnx, HEAD.json, HEAD.labels.txt) in the
/// background, so the picture keeps moving; its state is a status line.</summary>
internal sealed class HeadExporter(BackboneFiles? files, Action changed)
{
    private volatile string _state = string.Empty;
    private Task _export = Task.CompletedTask;

    private int _saved;
    private int _failed;

    /// <summary>Heads written, and exports that failed.</summary>
    public (int Saved, int Failed) Counts => (Volatile.Read(ref _saved), Volatile.Read(ref _failed));

    /// <summary>What the last export did, or empty.</summary>
    public string State => _state;

    /// <summary>Starts writing <paramref name="head"/> to <paramref name="path"/>.</summary>
    public void Start(string path, string featureValue, DenseHead head, string[] labels, float notSureBelow, IReadOnlyDictionary<string, float[]>? weights = null)
    {
        if (files is null)
        {
            _state = "not exported: the backbone has no manifest";
            return;
        }

        _state = $"exporting {path}...";
        _export = _export.ContinueWith(_ => // one export at a time, in order: the newest is the one left on disk
        {
            try
            {
                HeadTraining.Save(path, files, featureValue, head, labels, notSureBelow, weights: weights);
                _state = $"saved {path}";
                Interlocked.Increment(ref _saved);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Engine.Graph.ModelException)
            {
                _state = $"export failed: {e.Message}";
                Interlocked.Increment(ref _failed);
            }

            changed();
        }, TaskScheduler.Default);
    }

    /// <summary>Waits for an export in progress (at exit), at most <paramref name="timeout"/>.</summary>
    public void Wait(TimeSpan timeout) => _export.Wait(timeout);
}
