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
    private readonly CompiledModel? _net;
    private readonly NetworkInput? _input;
    private readonly LiveModel? _live;

    private FeatureExtractor(CompiledModel? net, NetworkInput? input, LiveModel? live, InputSpec spec, BackboneCut cut, string name)
    {
        _net = net;
        _input = input;
        _live = live;
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
        var source = ModelSource.FromManifest(catalog, manifest);
        return Open(backend, source.Name, source.Graph, source.PreprocessGraph, source.Input, trainFullyConnected);
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
            return new FeatureExtractor(net, input, null, spec, cut, name);
        }
        catch
        {
            input?.Dispose();
            net?.Dispose();
            throw;
        }
    }

    /// <summary>The features the live model already computes, read through it (nothing compiled again): the live
    /// trainer's route to a stored picture's features, the same class <c>train</c> uses.</summary>
    /// <param name="model">The live model; not owned.</param>
    /// <returns>The extractor; disposing it leaves the model alone.</returns>
    public static FeatureExtractor Over(LiveModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cut = BackboneCut.Find(model.Graph, v => model.ShapeOf(v).Length, trainFullyConnected: false);
        return new FeatureExtractor(null, null, model, model.Spec, cut, model.Name);
    }

    /// <summary>The features of one picture.</summary>
    /// <param name="bgr">Packed BGR bytes, width·height·3.</param>
    /// <param name="width">Picture width.</param>
    /// <param name="height">Picture height.</param>
    /// <param name="features">Receives FeatureLength values.</param>
    public void Extract(ReadOnlySpan<byte> bgr, int width, int height, Span<float> features)
    {
        if (_live is not null)
        {
            _live.RunAndRead(bgr, width, height, Cut.FeatureValue, features);
            return;
        }

        _input!.SetFrame(bgr, width, height);
        _input.Run();
        _net!.Read(Cut.FeatureValue, features);
    }

    /// <summary>The features of a network input already preprocessed (1,3,Size,Size), for checks against exports.</summary>
    /// <param name="input">The input values, after the manifest's normalisation.</param>
    /// <param name="features">Receives FeatureLength values.</param>
    public void ExtractPreprocessed(ReadOnlySpan<float> input, Span<float> features)
    {
        if (_input is null || _net is null)
        {
            throw new InvalidOperationException("an extractor over a live model reads pictures only");
        }

        _input.SetValues(input);
        _input.Run();
        _net.Read(Cut.FeatureValue, features);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _input?.Dispose();
        _net?.Dispose();
    }
}
