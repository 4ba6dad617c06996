// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Graph;
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
    private readonly IBackend _backend;
    private readonly CompiledModel _net;
    private readonly CompiledModel? _prep;
    private readonly InputSpec _spec;
    private readonly DeviceTensor _target;
    private readonly string _netInput;
    private DeviceBytes? _frame;

    private FeatureExtractor(IBackend backend, CompiledModel net, CompiledModel? prep, InputSpec spec, BackboneCut cut, string name)
    {
        _backend = backend;
        _net = net;
        _prep = prep;
        _spec = spec;
        Cut = cut;
        Name = name;
        _netInput = net.InputNames[0];
        _target = (prep is null ? net.Tensor(_netInput) : prep.Tensor(prep.InputNames[0])).Reshape(new TensorShape(1, 3, spec.Size, spec.Size));
    }

    /// <summary>The backbone's name (the model's).</summary>
    public string Name { get; }

    /// <summary>Where the network was cut, the feature width and any layers the head starts from.</summary>
    public BackboneCut Cut { get; }

    /// <summary>Features per picture.</summary>
    public int FeatureLength => Cut.FeatureLength;

    /// <summary>The preprocessing the backbone expects.</summary>
    public InputSpec Spec => _spec;

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
        var netInput = graph.Inputs.FirstOrDefault(i => i.Type == ElementType.Float32) ?? throw new ModelException($"{graph.Source}: no float input");
        var shapes = new Dictionary<string, TensorShape> { [netInput.Name] = new TensorShape(1, 3, spec.Size, spec.Size) };
        CompiledModel? prep = null;
        CompiledModel? net = null;
        try
        {
            // Shapes of the whole network decide the cut; then only the part up to it is kept.
            BackboneCut cut;
            using (var full = CompiledModel.Compile(graph, backend, shapes))
            {
                cut = BackboneCut.Find(graph, v => full.ShapeOf(v).Length, trainFullyConnected);
            }

            net = CompiledModel.Compile(cut.Truncate(graph), backend, shapes);
            if (preprocessGraph is not null)
            {
                var prepInput = preprocessGraph.Inputs[0];
                var dims = prepInput.Dims?.Select(d => (int)(d ?? 1)).ToArray() ?? [1, 3, spec.Size, spec.Size];
                prep = CompiledModel.Compile(preprocessGraph, backend, new Dictionary<string, TensorShape> { [prepInput.Name] = new(dims) });
            }

            return new FeatureExtractor(backend, net, prep, spec, cut, name);
        }
        catch
        {
            net?.Dispose();
            prep?.Dispose();
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
        if (bgr.Length < width * height * 3)
        {
            throw new ArgumentException($"{bgr.Length} bytes is not a {width}x{height} BGR picture", nameof(bgr));
        }

        if (_frame is null || _frame.Length < bgr.Length)
        {
            _frame?.Dispose();
            _frame = _backend.AllocateBytes(bgr.Length);
        }

        _backend.UploadBytes(_frame, bgr);
        var isBgr = string.Equals(_spec.Channels, "BGR", StringComparison.OrdinalIgnoreCase);
        _backend.Preprocess(_target, _frame, PreprocessParams.Create(width, height, _spec.Size, _spec.Resize, isBgr, _spec.Scale, _spec.Mean, _spec.Std));
        RunGraphs(features);
    }

    /// <summary>The features of a network input already preprocessed (1,3,Size,Size), for checks against exports.</summary>
    /// <param name="input">The input values, after the manifest's normalisation.</param>
    /// <param name="features">Receives FeatureLength values.</param>
    public void ExtractPreprocessed(ReadOnlySpan<float> input, Span<float> features)
    {
        _backend.Upload(_target, input);
        RunGraphs(features);
    }

    private void RunGraphs(Span<float> features)
    {
        if (_prep is not null)
        {
            _prep.Run();
            var prepOut = _prep.Tensor(_prep.Graph.Outputs[0].Name);
            _backend.CopyBlocks(_net.Tensor(_netInput), 0, 0, prepOut, 0, 0, 1, prepOut.Length);
        }

        _net.Run();
        _net.Read(Cut.FeatureValue, features);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _frame?.Dispose();
        _net.Dispose();
        _prep?.Dispose();
    }
}
