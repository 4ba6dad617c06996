// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Live;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Training;

/// <summary>One view of a picture to run through the backbone.</summary>
/// <param name="Bgr">Packed BGR bytes (not changed while in use).</param>
/// <param name="Width">Picture width.</param>
/// <param name="Height">Picture height.</param>
/// <param name="View">The view; <see cref="AugmentView.Identity"/> is the plain preprocessing.</param>
public readonly record struct PictureView(byte[] Bgr, int Width, int Height, AugmentView View);

/// <summary>A backbone that gives features of views a batch at a time: frozen (<see cref="FeatureExtractor"/>) or
/// being fine-tuned (<see cref="BackboneTrainer"/>).</summary>
public interface IViewFeatures
{
    /// <summary>Views per backbone run.</summary>
    int Batch { get; }

    /// <summary>Features per view.</summary>
    int FeatureLength { get; }

    /// <summary>The preprocessing the backbone expects.</summary>
    InputSpec Spec { get; }

    /// <summary>The preprocessing of a picture of this size, to draw views from.</summary>
    /// <param name="width">Picture width.</param>
    /// <param name="height">Picture height.</param>
    /// <returns>The parameters.</returns>
    PreprocessParams PreprocessFor(int width, int height);

    /// <summary>The features of 1 to <see cref="Batch"/> views in one run.</summary>
    /// <param name="views">The views.</param>
    /// <param name="features">Receives views.Length·FeatureLength values.</param>
    void ExtractViews(ReadOnlySpan<PictureView> views, Span<float> features);

    /// <summary>The features of one network input already normalised (1,3,Size,Size), for checks against exports.</summary>
    /// <param name="input">The input values.</param>
    /// <param name="features">Receives FeatureLength values.</param>
    void ExtractPreprocessed(ReadOnlySpan<float> input, Span<float> features);
}

/// <summary>
/// A frozen backbone: a picture (packed BGR bytes) in, its feature vector out, with the model's own preprocessing
/// on the device, as the live view runs it. The network is compiled only up to the cut.
/// </summary>
/// <remarks>Owns its compiled graphs; does not own the backend. One thread.</remarks>
public sealed class FeatureExtractor : IViewFeatures, IDisposable
{
    private readonly CompiledModel? _net;
    private readonly NetworkInput? _input;
    private readonly LiveModel? _live;
    private float[]? _batchFeatures;

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

    /// <summary>Pictures the backbone runs at once (<see cref="ExtractViews"/>); 1 over a live model.</summary>
    public int Batch => _input?.Batch ?? 1;

    /// <summary>Opens the backbone a manifest names.</summary>
    /// <param name="backend">Where it runs; not owned.</param>
    /// <param name="catalog">Where its files are.</param>
    /// <param name="manifest">The model.</param>
    /// <param name="trainFullyConnected">Cut before fc6 (AlexNet) so the head includes fc6 and fc7.</param>
    /// <param name="batch">Pictures per backbone run.</param>
    /// <returns>The extractor; the caller owns it.</returns>
    /// <exception cref="ModelException">A file is missing or the model does not compile.</exception>
    public static FeatureExtractor Open(IBackend backend, ModelCatalog catalog, ModelManifest manifest, bool trainFullyConnected, int batch = 1)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(manifest);
        var source = ModelSource.FromManifest(catalog, manifest);
        return Open(backend, source.Name, source.Graph, source.PreprocessGraph, source.Input, trainFullyConnected, batch);
    }

    /// <summary>Opens a backbone from graphs.</summary>
    /// <param name="backend">Where it runs; not owned.</param>
    /// <param name="name">Its name.</param>
    /// <param name="graph">The full network.</param>
    /// <param name="preprocessGraph">A preprocessing graph run first, or null.</param>
    /// <param name="spec">Frame to input.</param>
    /// <param name="trainFullyConnected">Cut before the first fully connected layer.</param>
    /// <param name="batch">Pictures per backbone run (one when the graph fixes its batch at one).</param>
    /// <returns>The extractor.</returns>
    public static FeatureExtractor Open(IBackend backend, string name, ModelGraph graph, ModelGraph? preprocessGraph, InputSpec spec, bool trainFullyConnected, int batch = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
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
        if (batch > 1)
        {
            try
            {
                net = CompiledModel.Compile(cut.Truncate(graph), backend, NetworkInput.InputShapes(graph, spec, batch));
            }
            catch (ModelException)
            {
                // A graph that fixes its batch at one (a Reshape to (1, -1), as the model zoo's AlexNet has) runs one
                // picture at a time.
                batch = 1;
            }
        }

        try
        {
            net ??= CompiledModel.Compile(cut.Truncate(graph), backend, NetworkInput.InputShapes(graph, spec, batch));
            input = NetworkInput.Create(backend, net, preprocessGraph, spec, batch);
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

        if (Batch > 1)
        {
            ExtractViews([new PictureView(bgr.ToArray(), width, height, AugmentView.Identity(PreprocessFor(width, height)))], features);
            return;
        }

        _input!.SetFrame(bgr, width, height);
        _input.Run();
        _net!.Read(Cut.FeatureValue, features);
    }

    /// <summary>The preprocessing of a picture of this size (its centre crop and normalisation), to draw views from.</summary>
    /// <param name="width">Picture width.</param>
    /// <param name="height">Picture height.</param>
    /// <returns>The parameters.</returns>
    public PreprocessParams PreprocessFor(int width, int height) =>
        PreprocessParams.Create(width, height, Spec.Size, Spec.Resize, string.Equals(Spec.Channels, "BGR", StringComparison.OrdinalIgnoreCase), Spec.Scale, Spec.Mean, Spec.Std);

    /// <summary>The features of up to <see cref="Batch"/> views in one backbone run (views of one picture share its upload).</summary>
    /// <param name="views">1 to Batch views.</param>
    /// <param name="features">Receives views.Length·FeatureLength values, view by view.</param>
    public void ExtractViews(ReadOnlySpan<PictureView> views, Span<float> features)
    {
        if (_input is null || _net is null)
        {
            throw new InvalidOperationException("an extractor over a live model reads one picture at a time");
        }

        if (views.Length < 1 || views.Length > Batch || features.Length < views.Length * FeatureLength)
        {
            throw new ArgumentException($"{views.Length} views with room for {features.Length / FeatureLength} feature vectors; a batch holds 1 to {Batch}");
        }

        for (var i = 0; i < views.Length; i++)
        {
            _input.SetView(i, views[i].Bgr, views[i].Width, views[i].Height, views[i].View);
        }

        _input.Run();
        if (views.Length == Batch)
        {
            _net.Read(Cut.FeatureValue, features[..(Batch * FeatureLength)]);
            return;
        }

        _batchFeatures ??= new float[Batch * FeatureLength];
        _net.Read(Cut.FeatureValue, _batchFeatures);
        _batchFeatures.AsSpan(0, views.Length * FeatureLength).CopyTo(features);
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
        if (Batch == 1)
        {
            _net.Read(Cut.FeatureValue, features);
            return;
        }

        _batchFeatures ??= new float[Batch * FeatureLength];
        _net.Read(Cut.FeatureValue, _batchFeatures);
        _batchFeatures.AsSpan(0, FeatureLength).CopyTo(features);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _input?.Dispose();
        _net?.Dispose();
    }
}
