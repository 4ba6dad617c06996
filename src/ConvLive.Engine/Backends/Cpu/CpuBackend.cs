// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// The SIMD CPU backend: managed arrays, Vector256/Vector512 loops, the device's worker team, and GEMM through
/// <see cref="Sgemm"/> (OpenBLAS when installed). Convolution reads its input in place (<see cref="WindowConv"/>;
/// zero-padded planes where the layer pads).
/// </summary>
/// <remarks>Owns its scratch (grown, never shrunk). Does not own the <see cref="ComputeDevice"/>. One thread.</remarks>
public sealed partial class CpuBackend : IBackend
{
    private readonly ComputeDevice _device;
    private readonly CpuWorkers _workers;
    private readonly WindowConv _window;
    private readonly WinogradConv _winograd;
    private readonly SpaceToDepthConv _spaceToDepth;
    private readonly ConvChoices _convChoices;
    private readonly CompactGemv _gemv = new();
    private readonly ColumnGemv _columnGemv = new();
    private readonly DirectConvJob _direct = new();
    private readonly PoolJob _pool = new();
    private readonly ElementwiseJob _elementwise = new();
    private readonly LrnJob _lrn = new();
    private readonly PreprocessJob _preprocess = new();
    private readonly PackJob _pack = new();
    private readonly AugmentJob _augment = new();
    private float[] _scratch = [];

    /// <summary>Creates the backend on a <see cref="DeviceKind.Cpu"/> device.</summary>
    /// <param name="device">The device; not owned.</param>
    /// <param name="options">How it runs (its thread count is the device's).</param>
    public CpuBackend(ComputeDevice device, BackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(options);
        _device = device;
        _workers = device.Workers ?? throw new ArgumentException($"{device.Name} is not the CPU backend", nameof(device));
        Options = options with { Threads = _workers.Size };
        _window = new WindowConv(options.WideTiles);
        _convChoices = new ConvChoices(options.ConvChoicesFile, _workers);
        _winograd = new WinogradConv(options.WideTiles);
        _spaceToDepth = new SpaceToDepthConv(_winograd);
    }

    /// <summary>Columns of W the last batch-1 fully connected layer with constant fp32 weights read (its input's
    /// non-zeros), for tests.</summary>
    internal int ColumnsRead => _columnGemv.ColumnsRead;

    /// <summary>The Winograd convolution, for tests that force its passes.</summary>
    internal WinogradConv Winograd => _winograd;

    /// <inheritdoc/>
    public string Name => $"{_device.Name}, GEMM: {Sgemm.Describe(Options.Blas)}, conv tiles: {(Options.WideTiles ? 512 : 256)}-bit";

    /// <inheritdoc/>
    public BackendOptions Options { get; }

    /// <summary>The convolution algorithms <see cref="ConvAlgorithm.Auto"/> chose by timing (or found kept), in the order met.</summary>
    public IReadOnlyList<ConvChoice> ConvChoices => _convChoices.Made;

    /// <summary>Forgets the convolution algorithms timed so far, in this process and in <paramref name="file"/>, so
    /// backends made afterwards time each geometry again.</summary>
    /// <param name="file">The choices file (<see cref="BackendOptions.ConvChoicesFile"/>), or null.</param>
    public static void ForgetConvChoices(string? file) => ConvLive.Engine.Backends.Cpu.ConvChoices.Forget(file);

    /// <summary>Which algorithm convolutions use (<see cref="ConvAlgorithm.Auto"/> by default).</summary>
    public ConvAlgorithm ConvAlgorithm => Options.ConvAlgorithm;

    /// <summary>How constant fully connected weights are kept for batch-1 products (the live path): fp32 by default;
    /// bf16 or int8 trade exactness for bandwidth (see <see cref="ColumnGemv"/>).</summary>
    public WeightPrecision FullyConnectedWeights => Options.FullyConnectedWeights;

    /// <inheritdoc/>
    public DeviceKind Kind => DeviceKind.Cpu;

    /// <inheritdoc/>
    public DeviceTensor Allocate(TensorShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return new CpuTensor(shape, new float[shape.Length], owns: true);
    }

    /// <inheritdoc/>
    public DeviceTensor Constant(TensorShape shape, float[] values)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length < shape.Length)
        {
            throw new ArgumentException($"a {shape} constant needs {shape.Length} values, got {values.Length}", nameof(values));
        }

        return new CpuTensor(shape, values, owns: true) { IsConstant = true, SharesCallerArray = true };
    }

    /// <inheritdoc/>
    public void Synchronize()
    {
        // Every op has finished when it returns.
    }

    /// <inheritdoc/>
    public void Upload(DeviceTensor destination, ReadOnlySpan<float> source)
    {
        var d = Cast(destination);
        if (d.SharesCallerArray)
        {
            throw new InvalidOperationException($"a {d.Shape} constant made by Constant() shares its caller's array and cannot be uploaded into");
        }

        if (source.Length != d.Length)
        {
            throw new ArgumentException($"uploading {source.Length} values into a {d.Shape} tensor");
        }

        source.CopyTo(d.Span);
        d.Derived = null;
    }

    /// <inheritdoc/>
    public void Download(Span<float> destination, DeviceTensor source)
    {
        var s = Cast(source);
        if (destination.Length != s.Length)
        {
            throw new ArgumentException($"downloading a {s.Shape} tensor into {destination.Length} values");
        }

        s.Span.CopyTo(destination);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _scratch = [];
        _spaceToDepth.Dispose();
    }

    internal static CpuTensor Cast(DeviceTensor t) =>
        t as CpuTensor ?? throw new ArgumentException($"a {t?.GetType().Name ?? "null"} tensor was handed to the CPU backend");

    private float[] Scratch(long length)
    {
        if (_scratch.Length < length)
        {
            _scratch = new float[length];
        }

        return _scratch;
    }
}
