// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Models;

namespace ConvLive.App.Training;

/// <summary>What the render thread asks of the live trainer.</summary>
internal enum TrainingCommand
{
    /// <summary>Remove the newest sample of the last class captured.</summary>
    RemoveLast,

    /// <summary>Train a head on every sample.</summary>
    Train,

    /// <summary>Fine-tune the backbone's last convolution with the trained head (key G).</summary>
    FineTune,

    /// <summary>Stop a training run.</summary>
    Cancel,
}

/// <summary>What the window shows of capture and training; replaced (not mutated) when something changes.</summary>
/// <param name="Lines">Counts and state, one line each.</param>
/// <param name="Loss">Mean loss per epoch so far.</param>
/// <param name="Accuracy">Held-out accuracy per epoch so far (NaN where none held out).</param>
/// <param name="Training">A run is in progress (Esc cancels it).</param>
/// <param name="HeadReady">A head has been trained and is classifying frames (and no run is pending).</param>
/// <param name="Chart">The last run's loss and accuracy chart (the picture <c>train</c> writes), or null.</param>
internal sealed record TrainingStatus(IReadOnlyList<string> Lines, IReadOnlyList<double> Loss, IReadOnlyList<double> Accuracy, bool Training, bool HeadReady, ChartPicture? Chart = null);

/// <summary>Where an export's backbone comes from (null parts: no export).</summary>
/// <param name="Manifest">The backbone's manifest.</param>
/// <param name="File">Its ONNX file.</param>
/// <param name="Preprocess">Its preprocessing graph file, or null.</param>
internal sealed record BackboneFiles(ModelManifest Manifest, string File, string? Preprocess);
