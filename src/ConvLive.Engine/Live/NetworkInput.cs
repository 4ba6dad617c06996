// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Models;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Live;

/// <summary>
/// How a picture reaches a compiled network, shared by the live view and the training backbone: packed BGR bytes
/// go up once, are cropped, resampled and normalised on the device as the manifest says, run through the model's
/// own preprocessing graph when it has one, and land in the network's input.
/// </summary>
/// <remarks>Owns the preprocessing graph and the frame buffer; not the network or the backend. One thread.</remarks>
internal sealed class NetworkInput : IDisposable
{
    private readonly IBackend _backend;
    private readonly CompiledModel _net;
    private readonly CompiledModel? _prep;
    private readonly InputSpec _spec;
    private readonly string _netInput;
    private readonly DeviceTensor _target; // (Batch,3,Size,Size) view of the first graph's input
    private DeviceBytes? _frame;
    private object? _uploaded; // the picture in _frame, for SetView

    private NetworkInput(IBackend backend, CompiledModel net, CompiledModel? prep, InputSpec spec, int batch)
    {
        _backend = backend;
        _net = net;
        _prep = prep;
        _spec = spec;
        Batch = batch;
        _netInput = net.InputNames[0];
        _target = (prep is null ? net.Tensor(_netInput) : prep.Tensor(prep.InputNames[0])).Reshape(new TensorShape(batch, 3, spec.Size, spec.Size));
    }

    /// <summary>Pictures per run.</summary>
    public int Batch { get; }

    /// <summary>The preprocessing graph, or null.</summary>
    public CompiledModel? Preprocess => _prep;

    /// <summary>True when frames are fed as BGR.</summary>
    public bool IsBgr => string.Equals(_spec.Channels, "BGR", StringComparison.OrdinalIgnoreCase);

    /// <summary>The network's input shape for <paramref name="spec"/>, <paramref name="batch"/> pictures at a time.</summary>
    public static Dictionary<string, TensorShape> InputShapes(ModelGraph graph, InputSpec spec, int batch = 1)
    {
        var input = graph.Inputs.FirstOrDefault(i => i.Type == ElementType.Float32) ?? throw new ModelException($"{graph.Source}: no float input");
        return new Dictionary<string, TensorShape> { [input.Name] = new TensorShape(batch, 3, spec.Size, spec.Size) };
    }

    /// <summary>Compiles the preprocessing graph (if any) and binds it to <paramref name="net"/>.</summary>
    /// <returns>The input; the caller owns it (it owns the compiled preprocessing graph).</returns>
    public static NetworkInput Create(IBackend backend, CompiledModel net, ModelGraph? preprocessGraph, InputSpec spec, int batch = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        CompiledModel? prep = null;
        if (preprocessGraph is not null)
        {
            var prepInput = preprocessGraph.Inputs[0];
            var dims = prepInput.Dims?.Select(d => (int)(d ?? 1)).ToArray() ?? [1, 3, spec.Size, spec.Size];
            dims[0] = batch;
            prep = CompiledModel.Compile(preprocessGraph, backend, new Dictionary<string, TensorShape> { [prepInput.Name] = new(dims) });
        }

        try
        {
            return new NetworkInput(backend, net, prep, spec, batch);
        }
        catch
        {
            prep?.Dispose();
            throw;
        }
    }

    /// <summary>Uploads a frame and preprocesses it into the first graph's input (a batch of one).</summary>
    public void SetFrame(ReadOnlySpan<byte> bgr, int width, int height)
    {
        if (Batch != 1)
        {
            throw new InvalidOperationException($"a batch of {Batch} takes pictures through SetView");
        }

        Upload(bgr, width, height);
        _uploaded = null;
        _backend.Preprocess(_target, _frame!, Params(width, height));
    }

    /// <summary>The preprocessing of a <paramref name="width"/>×<paramref name="height"/> frame (its centre crop).</summary>
    public PreprocessParams Params(int width, int height) => PreprocessParams.Create(width, height, _spec.Size, _spec.Resize, IsBgr, _spec.Scale, _spec.Mean, _spec.Std);

    /// <summary>Writes one view of a picture into item <paramref name="item"/> of the batch; the picture goes up only
    /// when it is not the one the last call took (the same array).</summary>
    /// <param name="item">0 ≤ item &lt; Batch.</param>
    /// <param name="bgr">Packed BGR bytes.</param>
    /// <param name="width">Picture width.</param>
    /// <param name="height">Picture height.</param>
    /// <param name="view">The view (see <see cref="AugmentView.Identity"/> for the plain preprocessing).</param>
    public void SetView(int item, byte[] bgr, int width, int height, AugmentView view)
    {
        ArgumentNullException.ThrowIfNull(bgr);
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(item, Batch);
        if (!ReferenceEquals(_uploaded, bgr))
        {
            Upload(bgr, width, height);
            _uploaded = bgr;
        }

        _backend.Augment(_target, item, _frame!, Params(width, height), view);
    }

    private void Upload(ReadOnlySpan<byte> bgr, int width, int height)
    {
        if (width < 1 || height < 1 || bgr.Length < width * height * 3)
        {
            throw new ArgumentException($"{bgr.Length} bytes is not a {width}x{height} BGR picture", nameof(bgr));
        }

        if (_frame is null || _frame.Length < bgr.Length)
        {
            _frame?.Dispose();
            _frame = _backend.AllocateBytes(bgr.Length);
        }

        _backend.UploadBytes(_frame, bgr);
    }

    /// <summary>Sets the first graph's input to values already normalised as the manifest says.</summary>
    /// <remarks>With a batch of several, <paramref name="input"/> may be one picture: it goes into the first item and
    /// the others are zeros.</remarks>
    public void SetValues(ReadOnlySpan<float> input)
    {
        if (input.Length == _target.Length || Batch == 1)
        {
            _backend.Upload(_target, input);
            return;
        }

        var batch = new float[_target.Length]; // a check against an export, not the per-frame path
        input.CopyTo(batch);
        _backend.Upload(_target, batch);
    }

    /// <summary>Runs the preprocessing graph (if any), hands its output to the network, and runs the network.</summary>
    public void Run()
    {
        if (_prep is not null)
        {
            _prep.Run();
            var prepOut = _prep.Tensor(_prep.Graph.Outputs[0].Name);
            _backend.CopyBlocks(_net.Tensor(_netInput), 0, 0, prepOut, 0, 0, 1, prepOut.Length);
        }

        _net.Run();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _frame?.Dispose();
        _prep?.Dispose();
    }
}
