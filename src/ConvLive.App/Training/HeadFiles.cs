// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Engine.IO;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Training;

namespace ConvLive.App.Training;

/// <summary>
/// A trained head on disk, as <c>train</c> and the live app both leave it: HEAD.onnx (backbone + head + softmax),
/// HEAD.labels.txt and HEAD.json (the manifest <c>live --model HEAD.onnx</c> reads), each written atomically.
/// </summary>
internal static class HeadFiles
{
    /// <summary>Exports and writes the three files.</summary>
    /// <param name="onnxPath">HEAD.onnx.</param>
    /// <param name="backbone">The backbone's manifest.</param>
    /// <param name="backboneFile">Its ONNX file.</param>
    /// <param name="preprocessFile">Its preprocessing graph file, or null.</param>
    /// <param name="featureValue">Where the backbone was cut.</param>
    /// <param name="head">The trained head.</param>
    /// <param name="labels">Class names in output order.</param>
    /// <param name="notSureBelow">The calibrated "not sure" threshold, or null.</param>
    /// <param name="summary">What training measured, or null.</param>
    /// <param name="weights">Backbone weights fine-tuned by ConvLive (by initializer name), or null.</param>
    /// <returns>The stem (the path without .onnx), for files that go beside it.</returns>
    public static string Save(string onnxPath, ModelManifest backbone, string backboneFile, string? preprocessFile, string featureValue, DenseHead head, IReadOnlyList<string> labels, float? notSureBelow = null, TrainingSummary? summary = null, IReadOnlyDictionary<string, float[]>? weights = null)
    {
        var full = Path.GetFullPath(onnxPath);
        var stem = full.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? full[..^5] : full;
        ClassifierExport.Write(ClassifierExport.Build(backboneFile, preprocessFile, backbone.Input, featureValue, head, weights), full);
        AtomicFile.WriteAllLines(stem + ".labels.txt", labels);
        (Manifest(backbone, full, stem) with { NotSureBelow = notSureBelow, Training = summary }).Write(stem + ".json");
        return stem;
    }

    /// <summary>A share as "97.5%", or "n/a" for NaN (no held-out samples).</summary>
    public static string Percent(double v) => double.IsNaN(v) ? "n/a" : (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>The manifest beside an export: RGB in [0,1], the backbone's crop.</summary>
    private static ModelManifest Manifest(ModelManifest backbone, string onnxPath, string stem) => new()
    {
        Name = Path.GetFileName(stem),
        Description = $"ConvLive classifier on {backbone.Name} (convlive train)",
        File = Path.GetFileName(onnxPath),
        Input = new InputSpec { Name = ClassifierExport.InputName, Size = backbone.Input.Size, Resize = backbone.Input.Resize, Channels = "RGB", Scale = 1f / 255f, Mean = [0, 0, 0], Std = [1, 1, 1] },
        Labels = Path.GetFileName(stem) + ".labels.txt",
    };
}
