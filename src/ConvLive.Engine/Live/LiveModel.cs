// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Explain;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Models;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Live;

/// <summary>Milliseconds each stage of one live frame took (host clock; on ILGPU the device stages are enqueue times
/// except the last, which waits).</summary>
/// <param name="Preprocess">Frame upload and preprocessing.</param>
/// <param name="Forward">The network (and its preprocessing graph).</param>
/// <param name="Pack">Tile packing and the one atlas read-back.</param>
public readonly record struct StageTimes(double Preprocess, double Forward, double Pack);

/// <summary>
/// A model running on live frames: the frame goes up as bytes, is cropped, resampled and normalised on the
/// device, runs through the network, and every tapped layer (each conv, LRN, pool and fully connected layer,
/// plus the network input) is packed into one 8-bit atlas that comes back in one read; the output comes back too.
/// </summary>
/// <remarks>Owns its compiled graphs and buffers; does not own the backend. One thread.</remarks>
public sealed class LiveModel : IDisposable
{
    private static readonly HashSet<string> TappedOps = ["Conv", "LRN", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Gemm", "MatMul"];

    private readonly IBackend _backend;
    private readonly CompiledModel _net;
    private readonly NetworkInput _input;
    private readonly string _netInput;
    private readonly string _output;
    private readonly DeviceBytes _atlas;
    private readonly InputSpec _spec;
    private readonly DeviceTensor[] _tapTensors;     // the tensor behind each tap, looked up once
    private Explainer? _explainer;          // planned on the first explanation, kept
    private readonly Dictionary<string, Explainer> _unitExplainers = new(StringComparer.Ordinal); // one per layer asked for
    private float[] _explanation = [];
    private float[] _layerValues = [];
    private Dictionary<string, (int ReceptiveField, int Jump, int Start)>? _fields;

    private LiveModel(string name, IBackend backend, CompiledModel net, NetworkInput input, InputSpec spec, IReadOnlyList<string>? labels)
    {
        Name = name;
        _backend = backend;
        _net = net;
        _input = input;
        _spec = spec;
        _netInput = net.InputNames[0];
        _output = net.Graph.Outputs[0].Name;
        OutputLength = net.ShapeOf(_output).Length;
        Labels = labels is not null && labels.Count == OutputLength ? labels : null;

        var values = new List<(string, string, TensorShape)> { ("input", "Input", net.ShapeOf(_netInput)) };
        foreach (var node in net.Graph.Nodes.Where(n => TappedOps.Contains(n.OpType)))
        {
            var shape = net.ShapeOf(node.Outputs[0]);
            if (shape.Rank == 4 || shape.Rank == 2)
            {
                values.Add((node.Outputs[0], node.OpType, shape));
            }
        }

        var readable = LayerNames.For(net.Graph);
        Taps = AtlasPacker.Layout(values, out var height)
            .Select(t => t with { Label = t.Op == "Input" ? "input" : readable.GetValueOrDefault(t.Name, t.Name) })
            .ToList();
        AtlasHeight = height;
        _tapTensors = Taps.Select(t => net.Tensor(t.Op == "Input" ? _netInput : t.Name)).ToArray();
        _atlas = backend.AllocateBytes(AtlasPacker.Width * height);
        backend.UploadBytes(_atlas, new byte[AtlasPacker.Width * height]);
    }

    /// <summary>The model's name (manifest name or file name).</summary>
    public string Name { get; }

    /// <summary>The network input then every tapped layer, with their atlas layouts.</summary>
    public IReadOnlyList<TapInfo> Taps { get; }

    /// <summary>Atlas width, pixels (bytes per row).</summary>
    public int AtlasWidth { get; } = AtlasPacker.Width;

    /// <summary>Atlas height, pixels.</summary>
    public int AtlasHeight { get; }

    /// <summary>Output elements (1000 for ImageNet classifiers, 512 for ResNet-18 features).</summary>
    public int OutputLength { get; }

    /// <summary>Class names in output order when the output is a classifier's, else null.</summary>
    public IReadOnlyList<string>? Labels { get; }

    /// <summary>True when the frame is fed to the first graph as BGR.</summary>
    public bool InputIsBgr => _input.IsBgr;

    /// <summary>How frames become the network's input.</summary>
    public InputSpec Spec => _spec;

    /// <summary>True when the network's own input (after any preprocessing graph) is BGR, so the input panel swaps
    /// channels back to show it as a picture.</summary>
    public bool NetworkInputIsBgr => string.Equals(_spec.NetworkChannels ?? _spec.Channels, "BGR", StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens a model for live use.</summary>
    /// <param name="backend">Where it runs; not owned.</param>
    /// <param name="name">Shown in the app.</param>
    /// <param name="graph">The network.</param>
    /// <param name="preprocessGraph">A preprocessing graph run first (ResNet-18 features), or null.</param>
    /// <param name="spec">How to turn frames into its input.</param>
    /// <param name="labels">Class names, or null.</param>
    /// <returns>The live model; the caller owns it.</returns>
    /// <exception cref="ModelException">The model does not compile.</exception>
    public static LiveModel Open(IBackend backend, string name, ModelGraph graph, ModelGraph? preprocessGraph, InputSpec spec, IReadOnlyList<string>? labels)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(spec);
        CompiledModel? net = null;
        NetworkInput? input = null;
        try
        {
            net = CompiledModel.Compile(graph, backend, NetworkInput.InputShapes(graph, spec));
            input = NetworkInput.Create(backend, net, preprocessGraph, spec);
            return new LiveModel(name, backend, net, input, spec, labels);
        }
        catch
        {
            input?.Dispose();
            net?.Dispose();
            throw;
        }
    }

    /// <summary>Opens the model a manifest describes, finding its files through <paramref name="catalog"/>.</summary>
    /// <param name="backend">Where it runs; not owned.</param>
    /// <param name="catalog">Where files are looked for.</param>
    /// <param name="manifest">The manifest.</param>
    /// <returns>The live model.</returns>
    /// <exception cref="ModelException">A file is missing or the model does not compile.</exception>
    public static LiveModel Open(IBackend backend, ModelCatalog catalog, ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(manifest);
        var source = ModelSource.FromManifest(catalog, manifest);
        return Open(backend, source.Name, source.Graph, source.PreprocessGraph, source.Input, source.Labels);
    }

    /// <summary>Runs one frame.</summary>
    /// <param name="bgr">The frame, packed BGR.</param>
    /// <param name="width">Frame width.</param>
    /// <param name="height">Frame height.</param>
    /// <param name="atlas">Receives the atlas, AtlasWidth·AtlasHeight bytes.</param>
    /// <param name="output">Receives the output, OutputLength values.</param>
    /// <returns>Per-stage times.</returns>
    public StageTimes Run(ReadOnlySpan<byte> bgr, int width, int height, Span<byte> atlas, Span<float> output)
    {
        var t0 = Stopwatch.GetTimestamp();
        _input.SetFrame(bgr, width, height);
        var t1 = Stopwatch.GetTimestamp();
        _input.Run();
        var t2 = Stopwatch.GetTimestamp();
        for (var i = 0; i < Taps.Count; i++)
        {
            _backend.PackTiles(_atlas, _tapTensors[i], Taps[i].Layout);
        }

        _backend.DownloadBytes(atlas, _atlas);
        _net.Read(_output, output);
        var t3 = Stopwatch.GetTimestamp();
        return new StageTimes(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds, Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds, Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds);
    }

    /// <summary>
    /// Explains class <paramref name="classIndex"/>'s score on the frame the last <see cref="Run"/> took: the backward
    /// pass runs on the device, on buffers planned once with the first call, and the result is a heat map in [0, 1]
    /// (<see cref="ExplanationHeat"/>), at the network input's size for the gradient views and at the last
    /// convolution's for Grad-CAM.
    /// </summary>
    /// <param name="method">The view.</param>
    /// <param name="classIndex">The class (an index into the network's output).</param>
    /// <param name="heat">At least <see cref="ExplanationLength"/> values.</param>
    /// <returns>The heat map's width and height.</returns>
    /// <exception cref="ModelException">The model cannot be explained (no convolution for Grad-CAM, an op without a backward).</exception>
    public (int Width, int Height) Explain(ExplainMethod method, int classIndex, Span<float> heat)
    {
        _explainer ??= Explainer.ForClass(_net, classIndex);
        _explainer.SetClass(classIndex);
        return Heat(_explainer, method, heat);
    }

    /// <summary>Explains the sum of channel <paramref name="channel"/> of <paramref name="value"/> (a unit's response,
    /// as the Deep Visualization Toolbox's backprop from a unit) on the frame the last <see cref="Run"/> took; Grad-CAM
    /// is taken on the unit's own layer. Planned once per layer.</summary>
    /// <param name="method">The view.</param>
    /// <param name="value">A tapped (N,C,H,W) value.</param>
    /// <param name="channel">The channel.</param>
    /// <param name="position">A (column, row) in the channel's map to explain that one unit, or null for the sum.</param>
    /// <param name="heat">At least <see cref="ExplanationLength"/> values.</param>
    /// <returns>The heat map's width and height.</returns>
    public (int Width, int Height) ExplainUnit(ExplainMethod method, string value, int channel, (int X, int Y)? position, Span<float> heat)
    {
        if (!_unitExplainers.TryGetValue(value, out var explainer))
        {
            _unitExplainers[value] = explainer = Explainer.ForUnit(_net, value, channel, camLayer: value);
        }

        explainer.SetChannel(channel, position);
        return Heat(explainer, method, heat);
    }

    private (int Width, int Height) Heat(Explainer explainer, ExplainMethod method, Span<float> heat)
    {
        var shape = explainer.MapShape(method);
        if (_explanation.Length < shape.Length)
        {
            _explanation = new float[shape.Length];
        }

        var map = _explanation.AsSpan(0, shape.Length);
        explainer.Compute(method, map);
        int h = shape.Rank == 2 ? shape[0] : shape[2], w = shape.Rank == 2 ? shape[1] : shape[3];
        ExplanationHeat.From(map, method, h, w, heat);
        return (w, h);
    }

    /// <summary>Where the network input lies in a frame of <paramref name="frameWidth"/>×<paramref name="frameHeight"/>
    /// (the centre crop <see cref="Run"/> takes), for crops under a receptive field and heat over the camera frame.</summary>
    /// <param name="frameWidth">Frame width.</param>
    /// <param name="frameHeight">Frame height.</param>
    /// <returns>The crop in frame pixels and the network input's side.</returns>
    public InputGeometry Geometry(int frameWidth, int frameHeight)
    {
        var p = PreprocessParams.Create(frameWidth, frameHeight, _spec.Size, _spec.Resize, InputIsBgr, _spec.Scale, _spec.Mean, _spec.Std);
        return new InputGeometry(p.CropX, p.CropY, p.CropSide, InputSide);
    }

    /// <summary>The network input's side, pixels (receptive fields are in these pixels).</summary>
    public int InputSide => Taps[0].Shape[2];

    /// <summary>A top-9 tracker for one tapped value, its crops as large as fit <paramref name="budgetBytes"/> (8 to 48
    /// pixels a side), its receptive fields walked from the graph's shapes.</summary>
    /// <param name="value">A tapped value, (N,C,H,W) or (N,C).</param>
    /// <param name="budgetBytes">Bytes the crops may take.</param>
    /// <param name="keep">Entries per channel.</param>
    /// <returns>The tracker; the caller owns it.</returns>
    /// <exception cref="ModelException">The value is not tapped.</exception>
    public TopActivations CreateTopActivations(string value, long budgetBytes, int keep = 9)
    {
        var tap = Taps.FirstOrDefault(t => t.Name == value && t.Op != "Input")
            ?? throw new ModelException($"'{value}' is not a tapped layer of {Name}; pick one of {string.Join(", ", Taps.Skip(1).Select(t => t.Name))}");
        var shape = tap.Shape;
        var (channels, h, w) = shape.Rank == 4 ? (shape[1], shape[2], shape[3]) : (shape.Length / Math.Max(1, shape[0]), 1, 1);
        _fields ??= ReceptiveFields();
        var f = shape.Rank == 4 && _fields.TryGetValue(value, out var info) ? info : default;
        var side = (int)Math.Clamp(Math.Sqrt(budgetBytes / (3.0 * channels * keep)), 8, 48);
        return new TopActivations(channels, h, w, f.ReceptiveField, f.Jump, f.Start, side, keep);
    }

    /// <summary>Offers the frame the last <see cref="Run"/> took to <paramref name="tracker"/> (made by
    /// <see cref="CreateTopActivations"/> for <paramref name="value"/>): the layer is read back once.</summary>
    /// <param name="tracker">The tracker.</param>
    /// <param name="value">Its value.</param>
    /// <param name="frame">The frame's number.</param>
    /// <param name="bgr">The frame, packed BGR, as given to <see cref="Run"/>.</param>
    /// <param name="width">Frame width.</param>
    /// <param name="height">Frame height.</param>
    /// <returns>Channels that took an entry.</returns>
    public int Track(TopActivations tracker, string value, long frame, ReadOnlySpan<byte> bgr, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        if (TapTensor(value) is Backends.Cpu.CpuTensor cpu)
        {
            // Read where the forward left it (nothing writes it before the next Run): copying ResNet-18's conv1 out
            // first moved 3.2 MB on the inference thread every frame.
            return tracker.Offer(cpu.Span, frame, bgr, width, height, Geometry(width, height));
        }

        var length = _net.ShapeOf(value).Length;
        if (_layerValues.Length < length)
        {
            _layerValues = new float[length];
        }

        var maps = _layerValues.AsSpan(0, length);
        _net.Read(value, maps);
        return tracker.Offer(maps, frame, bgr, width, height, Geometry(width, height));
    }

    /// <summary>The tensor of the tap named <paramref name="value"/>, or null (no allocation: called every frame).</summary>
    private DeviceTensor? TapTensor(string value)
    {
        for (var i = 0; i < Taps.Count; i++)
        {
            if (string.Equals(Taps[i].Name, value, StringComparison.Ordinal))
            {
                return _tapTensors[i];
            }
        }

        return null;
    }

    /// <summary>What a unit wants (activation maximisation) on this model's network: of channel
    /// <paramref name="channel"/> of <paramref name="value"/> (at <paramref name="position"/> when given), or of class
    /// <paramref name="classIndex"/> when <paramref name="value"/> is null. Pixels stay within what the manifest's
    /// normalisation gives 0..255 (±3 behind a preprocessing graph). Its steps run this model's network: call them
    /// after a frame's work is done.</summary>
    /// <param name="value">A tapped value, or null for a class.</param>
    /// <param name="channel">The channel.</param>
    /// <param name="position">A (column, row) in the map, or null for the whole channel.</param>
    /// <param name="classIndex">The class, when <paramref name="value"/> is null.</param>
    /// <param name="seed">The noise's seed.</param>
    /// <returns>The maximiser; the caller owns it.</returns>
    /// <exception cref="ModelException">The unit cannot be maximised (out of range, an op without a backward).</exception>
    public ActivationMaximiser CreateMaximiser(string? value, int channel, (int X, int Y)? position, int classIndex, int seed = 1)
    {
        var channels = _net.ShapeOf(_netInput)[1];
        float[] low = new float[channels], high = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            (low[c], high[c]) = _input.Preprocess is null && c < 3
                ? (-_spec.Mean[c] / _spec.Std[c], ((255f * _spec.Scale) - _spec.Mean[c]) / _spec.Std[c])
                : (-3f, 3f);
        }

        return value is null
            ? ActivationMaximiser.ForClass(_net, classIndex, low, high, seed)
            : ActivationMaximiser.ForUnit(_net, value, channel, position, low, high, seed);
    }

    private Dictionary<string, (int ReceptiveField, int Jump, int Start)> ReceptiveFields()
    {
        var fields = new Dictionary<string, (int, int, int)>(StringComparer.Ordinal);
        try
        {
            var rows = ModelInspector.Inspect(_net.Graph, InputSide);
            for (var i = 0; i < rows.Count; i++)
            {
                foreach (var o in _net.Graph.Nodes[i].Outputs)
                {
                    fields[o] = (rows[i].ReceptiveField, rows[i].Jump, rows[i].Start);
                }
            }
        }
        catch (ModelException)
        {
            // A graph the inspector cannot walk: every crop is the whole input.
        }

        return fields;
    }

    /// <summary>The most heat values <see cref="Explain"/> writes (the network input's plane).</summary>
    public int ExplanationLength => _net.ShapeOf(_netInput).Product(2, _net.ShapeOf(_netInput).Rank);

    /// <summary>The same model compiled again on another backend (after a device failure): same taps, same atlas.</summary>
    /// <param name="backend">The new backend; not owned.</param>
    /// <returns>The new live model; the caller owns it.</returns>
    public LiveModel Reopen(IBackend backend) => Open(backend, Name, _net.Graph, _input.Preprocess?.Graph, _spec, Labels);

    /// <summary>The graph the network was compiled from.</summary>
    public ModelGraph Graph => _net.Graph;

    /// <summary>The model's own preprocessing graph, or null.</summary>
    public ModelGraph? PreprocessGraph => _input.Preprocess?.Graph;

    /// <summary>The shape of any value of the network.</summary>
    /// <param name="name">The value.</param>
    /// <returns>Its shape.</returns>
    public TensorShape ShapeOf(string name) => _net.ShapeOf(name);

    /// <summary>The device tensor holding a value of the network after the last run (for a head reading features).</summary>
    /// <param name="name">The value.</param>
    /// <returns>The tensor; owned by the model.</returns>
    public DeviceTensor Tensor(string name) => _net.Tensor(name);

    /// <summary>Runs the network on another picture (a stored sample) and reads one value; the atlas is untouched,
    /// the network's buffers then hold this picture until the next <see cref="Run"/>.</summary>
    /// <param name="bgr">Packed BGR bytes.</param>
    /// <param name="width">Width.</param>
    /// <param name="height">Height.</param>
    /// <param name="value">The value to read.</param>
    /// <param name="destination">Receives its elements.</param>
    public void RunAndRead(ReadOnlySpan<byte> bgr, int width, int height, string value, Span<float> destination)
    {
        _input.SetFrame(bgr, width, height);
        _input.Run();
        _net.Read(value, destination);
    }

    /// <summary>Runs one augmented view of a picture (not a frame of the stream) and reads one value: the live
    /// trainer's augmentation, through the same network. The taps then hold that view until the next frame.</summary>
    /// <param name="bgr">Packed BGR bytes (the same array for the views of one picture: it goes up once).</param>
    /// <param name="width">Picture width.</param>
    /// <param name="height">Picture height.</param>
    /// <param name="view">The view.</param>
    /// <param name="value">The value to read.</param>
    /// <param name="destination">Exactly its length.</param>
    public void RunViewAndRead(byte[] bgr, int width, int height, AugmentView view, string value, Span<float> destination)
    {
        _input.SetView(0, bgr, width, height, view);
        _input.Run();
        _net.Read(value, destination);
    }

    /// <summary>The preprocessing of a picture of this size (its centre crop and normalisation), to draw views from.</summary>
    /// <param name="width">Picture width.</param>
    /// <param name="height">Picture height.</param>
    /// <returns>The parameters.</returns>
    public PreprocessParams PreprocessFor(int width, int height) => _input.Params(width, height);

    /// <inheritdoc/>
    public void Dispose()
    {
        _explainer?.Dispose();
        foreach (var e in _unitExplainers.Values)
        {
            e.Dispose();
        }

        _atlas.Dispose();
        _input.Dispose();
        _net.Dispose();
    }
}
