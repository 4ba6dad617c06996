// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Live;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Training;

/// <summary>
/// A frozen backbone: a picture (packed BGR bytes) in, its feature vector out, with the model's own preprocessing
/// on the device, as the live view runs it. The network is compiled only up to the cut.
/// </summary>
/// <remarks>Owns its compiled graphs; does not own the backend. One thread.</remarks>
public sealed class FeatureExtractor : IDisposable
{
    private readonly CompiledModel _net;
    private readonly NetworkInput _input;

    private FeatureExtractor(CompiledModel net, NetworkInput input, InputSpec spec, BackboneCut cut, string name)
    {
        _net = net;
        _input = input;
        Spec = spec;
        Cut = cut;
        Name = name;
    }

    /// <summary>The backbone's name (the model's).</summary>
    public string Name { get; }

    /// <summary>Where the network was cut, the feature width and any layers the head starts from.</summary>
    public BackboneCut Cut { get; }

    /// <summary>Features per picture.</summary>
    public int FeatureLength => Cut.FeatureLength;

    /// <summary>The preprocessing the backbone expects.</summary>
    public InputSpec Spec { get; }

    /// <summary>Opens the backbone a manifest names.</summary>
    /// <param name="backend">Where it runs; not owned.</param>
    /// <param name="catalog">Where its files are.</param>
    /// <param name="manifest">The model.</param>
    /// <param name="trainFullyConnected">Cut before fc6 (AlexNet) so the head includes fc6 and fc7.</param>
    /// <returns>The extractor; the caller owns it.</returns>
    /// <exception cref="ModelException">A file is missing or the model does not compile.</exception>
    public static FeatureExtractor Open(IBackend backend, ModelCatalog catalog, ModelManifest manifest, bool trainFullyConnected)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(manifest);
        var path = catalog.Locate(manifest.File) ?? throw new ModelException($"{manifest.Name}: {manifest.File} is not in {string.Join(" or ", catalog.Folders)}; run ./convlive models get {manifest.Name}");
        var prepPath = manifest.Preprocess is { } p ? catalog.Locate(p) ?? throw new ModelException($"{manifest.Name}: {p} is missing") : null;
        return Open(backend, manifest.Name, OnnxLoader.Load(path), prepPath is null ? null : OnnxLoader.Load(prepPath), manifest.Input, trainFullyConnected);
    }

    /// <summary>Opens a backbone from graphs.</summary>
    /// <param name="backend">Where it runs; not owned.</param>
    /// <param name="name">Its name.</param>
    /// <param name="graph">The full network.</param>
    /// <param name="preprocessGraph">A preprocessing graph run first, or null.</param>
    /// <param name="spec">Frame to input.</param>
    /// <param name="trainFullyConnected">Cut before the first fully connected layer.</param>
    /// <returns>The extractor.</returns>
    public static FeatureExtractor Open(IBackend backend, string name, ModelGraph graph, ModelGraph? preprocessGraph, InputSpec spec, bool trainFullyConnected)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(spec);

        // Shapes come from the inspector's walk (nothing allocated); only the part up to the cut is compiled.
        var rows = ModelInspector.Inspect(graph, spec.Size);
        var shapes = new Dictionary<string, TensorShape>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            shapes[graph.Nodes[i].Outputs[0]] = rows[i].Output;
        }

        var cut = BackboneCut.Find(graph, v => shapes.TryGetValue(v, out var shape) ? shape.Length : throw new ModelException($"{graph.Source}: cannot size value '{v}' to cut the backbone there"), trainFullyConnected);
        CompiledModel? net = null;
        NetworkInput? input = null;
        try
        {
            net = CompiledModel.Compile(cut.Truncate(graph), backend, NetworkInput.InputShapes(graph, spec));
            input = NetworkInput.Create(backend, net, preprocessGraph, spec);
            return new FeatureExtractor(net, input, spec, cut, name);
        }
        catch
        {
            input?.Dispose();
            net?.Dispose();
            throw;
        }
    }

    /// <summary>The features of one picture.</summary>
    /// <param name="bgr">Packed BGR bytes, width·height·3.</param>
    /// <param name="width">Picture width.</param>
    /// <param name="height">Picture height.</param>
    /// <param name="features">Receives FeatureLength values.</param>
    public void Extract(ReadOnlySpan<byte> bgr, int width, int height, Span<float> features)
    {
        _input.SetFrame(bgr, width, height);
        _input.Run();
        _net.Read(Cut.FeatureValue, features);
    }

    /// <summary>The features of a network input already preprocessed (1,3,Size,Size), for checks against exports.</summary>
    /// <param name="input">The input values, after the manifest's normalisation.</param>
    /// <param name="features">Receives FeatureLength values.</param>
    public void ExtractPreprocessed(ReadOnlySpan<float> input, Span<float> features)
    {
        _input.SetValues(input);
        _input.Run();
        _net.Read(Cut.FeatureValue, features);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _input.Dispose();
        _net.Dispose();
    }
}
