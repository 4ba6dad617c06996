// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Models;
using ConvLive.Engine.Training;

namespace ConvLive.App.Training;

/// <summary>Training a classifier head on backbone features and exporting it: the one way <c>train</c> and the live
/// trainer (T) both do it.</summary>
internal static class HeadTraining
{
    /// <summary>A new head for <paramref name="classes"/> classes on the cut's features: linear, with hidden layers,
    /// or (when the cut trains fc6 and fc7) those layers from their ImageNet weights plus a new last layer; and the
    /// training run over <paramref name="samples"/> (a held-out share split off).</summary>
    /// <returns>The run (the caller owns it) and the head it starts from.</returns>
    public static (ClassifierTraining Run, DenseHead Head) Start(IBackend backend, BackboneCut cut, IReadOnlyList<LabeledFeatures> samples, int classes, int hidden, TrainingSettings settings)
    {
        var head = cut.InitialLayers.Count > 0
            ? new DenseHead([.. cut.InitialLayers, DenseHead.Create(cut.InitialLayers[^1].Outputs, [], classes, settings.Seed).Layers[0]])
            : DenseHead.Create(cut.FeatureLength, hidden > 0 ? [hidden] : [], classes, settings.Seed);
        return (new ClassifierTraining(backend, head, samples.ToList(), settings), head);
    }

    /// <summary>Writes <paramref name="head"/> as a standalone classifier on its backbone (HEAD.onnx, .labels.txt, .json).</summary>
    /// <returns>The path without its .onnx ending.</returns>
    public static string Save(string path, BackboneFiles backbone, string featureValue, DenseHead head, IReadOnlyList<string> labels, float? notSureBelow = null, TrainingSummary? summary = null, IReadOnlyDictionary<string, float[]>? weights = null) =>
        HeadFiles.Save(path, backbone.Manifest, backbone.File, backbone.Preprocess, featureValue, head, labels, notSureBelow, summary, weights);
}
