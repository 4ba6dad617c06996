// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Graph;
using ConvLive.Engine.Onnx;

namespace ConvLive.Engine.Models;

/// <summary>
/// A model the user named, resolved to its graphs, its preprocessing and its labels: the one place that turns
/// <c>--model</c> into files, shared by <c>live</c> and <c>explain</c>.
/// </summary>
/// <param name="Name">A display name.</param>
/// <param name="Graph">The network.</param>
/// <param name="PreprocessGraph">A graph run on the input first (ResNet-18 features), or null.</param>
/// <param name="Input">How a picture becomes its input.</param>
/// <param name="Labels">Class names, or null.</param>
/// <param name="Manifest">The manifest it came with (or one made for a bare file).</param>
/// <param name="File">The network's file.</param>
/// <param name="PreprocessFile">The preprocessing graph's file, or null.</param>
public sealed record ModelSource(string Name, ModelGraph Graph, ModelGraph? PreprocessGraph, InputSpec Input, IReadOnlyList<string>? Labels, ModelManifest Manifest, string File, string? PreprocessFile)
{
    /// <summary>A manifest's model, its files found through <paramref name="catalog"/>.</summary>
    /// <param name="catalog">Where files are looked for.</param>
    /// <param name="manifest">The manifest.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ModelException">A file is missing or does not load.</exception>
    public static ModelSource FromManifest(ModelCatalog catalog, ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(manifest);
        var path = catalog.Locate(manifest.File) ?? throw new ModelException($"{manifest.Name}: {manifest.File} is not in {string.Join(" or ", catalog.Folders)}; run ./convlive models get {manifest.Name}");
        var prepPath = manifest.Preprocess is { } p ? catalog.Locate(p) ?? throw new ModelException($"{manifest.Name}: {p} is missing") : null;
        var labels = manifest.Labels is { } l && catalog.Locate(l) is { } labelPath ? System.IO.File.ReadAllLines(labelPath) : null;
        return new ModelSource(manifest.Name, OnnxLoader.Load(path), prepPath is null ? null : OnnxLoader.Load(prepPath), manifest.Input, labels, manifest, path, prepPath);
    }

    /// <summary>Resolves <paramref name="requested"/>: a manifest name, else an .onnx file (with a manifest beside it,
    /// HEAD.json next to HEAD.onnx, when there is one; else the zoo AlexNet's BGR-minus-mean input when the graph has
    /// LRN, torchvision's ImageNet normalisation otherwise).</summary>
    /// <param name="requested">A manifest name or a file path.</param>
    /// <param name="catalog">Where manifests and their files are looked for.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ModelException">Neither a manifest nor a file, or the file does not load.</exception>
    public static ModelSource Resolve(string requested, ModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(requested);
        ArgumentNullException.ThrowIfNull(catalog);
        if (catalog.Find(requested) is { } manifest)
        {
            return FromManifest(catalog, manifest);
        }

        if (!System.IO.File.Exists(requested))
        {
            throw new ModelException($"--model {requested}: no such file and no manifest of that name; known: {string.Join(", ", catalog.Manifests.Select(m => m.Name))}, or give an .onnx path");
        }

        var full = Path.GetFullPath(requested);
        var sibling = Path.ChangeExtension(requested, ".json");
        if (System.IO.File.Exists(sibling))
        {
            var own = ModelManifest.Read(sibling);
            var folder = Path.GetDirectoryName(full)!;
            var ownLabels = own.Labels is { } l && System.IO.File.Exists(Path.Combine(folder, l)) ? System.IO.File.ReadAllLines(Path.Combine(folder, l)) : null;
            return new ModelSource(own.Name, OnnxLoader.Load(requested), null, own.Input, ownLabels, own, full, null);
        }

        var graph = OnnxLoader.Load(requested);
        var named = catalog.Manifests.FirstOrDefault(m => Path.GetFileName(m.File) == Path.GetFileName(requested));
        var spec = named?.Input ?? (graph.Nodes.Any(n => n.OpType == "LRN") ? catalog.Find("alexnet")?.Input : catalog.Find("alexnet-torchvision")?.Input) ?? new InputSpec();
        var labelsPath = catalog.Locate("imagenet_classes.txt");
        var labels = labelsPath is null ? null : System.IO.File.ReadAllLines(labelsPath);
        var manifestFor = named ?? new ModelManifest { Name = Path.GetFileNameWithoutExtension(requested), File = full, Input = spec };
        return new ModelSource(Path.GetFileNameWithoutExtension(requested), graph, null, spec, labels, manifestFor, full, null);
    }
}
