// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>
/// The op set on an ILGPU accelerator (CUDA, OpenCL or ILGPU's CPU simulator). Every kernel is loaded once, in
/// the constructor; launches go on the device's stream; nothing returns to the host between ops.
/// Convolution is im2col into device scratch followed by the shared-memory tiled GEMM.
/// </summary>
/// <remarks>Owns its scratch buffer; does not own the device. One thread.</remarks>
public sealed partial class IlgpuBackend : IBackend
{
    private readonly ComputeDevice _device;
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly int _threads;
    private readonly int _tile;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs> _gemm;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, Im2ColArgs, int, int> _im2col;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, PoolArgs, int> _pool;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, float, int> _activation;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastArgs, int> _binary;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, int> _batchNorm;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int, int, float, float, float, int> _lrn;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int> _softmax;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int, int, int> _copy;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, BroadcastArgs, int> _transpose;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<float>, PreprocessArgs, int> _preprocess;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<byte>, PackArgs> _pack;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DirectConvArgs, int> _directConv;
    private MemoryBuffer1D<float, Stride1D.Dense>? _scratch;

    /// <summary>Direct convolution (no im2col) when a group has at most this many outputs…</summary>
    private const int DirectConvMaxOutputs = 4;

    /// <summary>…and each output at most this many taps (C/G·KH·KW).</summary>
    private const int DirectConvMaxTaps = 256;

    /// <summary>Loads every kernel on <paramref name="device"/>.</summary>
    /// <param name="device">An ILGPU device; not owned.</param>
    public IlgpuBackend(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        _accelerator = device.Accelerator ?? throw new ArgumentException($"{device.Name} is not an ILGPU device", nameof(device));
        _stream = device.Stream!;
        _threads = Math.Max(1, _accelerator.NumMultiprocessors * _accelerator.MaxNumThreadsPerMultiprocessor);
        _tile = Math.Clamp((int)Math.Sqrt(_accelerator.MaxNumThreadsPerGroup), 1, 16);
        _gemm = _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>(IlgpuKernels.Gemm);
        _im2col = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, Im2ColArgs, int, int>(IlgpuKernels.Im2Col);
        _pool = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, PoolArgs, int>(IlgpuKernels.Pool);
        _activation = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, float, int>(IlgpuKernels.Activation);
        _binary = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastArgs, int>(IlgpuKernels.Binary);
        _batchNorm = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, int>(IlgpuKernels.BatchNorm);
        _lrn = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, float, float, float, int>(IlgpuKernels.Lrn);
        _softmax = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int>(IlgpuKernels.Softmax);
        _transpose = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, BroadcastArgs, int>(IlgpuKernels.Transpose);
        _preprocess = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, ArrayView<float>, PreprocessArgs, int>(IlgpuKernels.Preprocess);
        _pack = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<byte>, PackArgs>(IlgpuKernels.PackTiles);
        _copy = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int, int, int>(IlgpuKernels.CopyBlocks);
        _directConv = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DirectConvArgs, int>(IlgpuKernels.DirectConv);
        LoadTrainingKernels();
    }

    /// <inheritdoc/>
    public string Name => _device.Name;

    /// <inheritdoc/>
    public DeviceKind Kind => _device.Kind;

    /// <inheritdoc/>
    public DeviceTensor Allocate(TensorShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var buffer = _accelerator.Allocate1D<float>(Math.Max(1, shape.Length));
        return new IlgpuTensor(shape, buffer.View.SubView(0, shape.Length), buffer);
    }

    /// <inheritdoc/>
    public DeviceTensor Constant(TensorShape shape, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var tensor = Allocate(shape);
        Upload(tensor, values.AsSpan(0, shape.Length));
        tensor.IsConstant = true;
        return tensor;
    }

    /// <inheritdoc/>
    public void Synchronize() => _stream.Synchronize();

    /// <inheritdoc/>
    public void Upload(DeviceTensor destination, ReadOnlySpan<float> source)
    {
        var d = Cast(destination);
        if (source.Length != d.Length)
        {
            throw new ArgumentException($"uploading {source.Length} values into a {d.Shape} tensor");
        }

        if (source.Length > 0)
        {
            // Copy only once the stream's earlier kernels are done with the buffer, whatever ordering the
            // accelerator's copies have (uploads are a few a frame; the wait costs little).
            _stream.Synchronize();

            // The span overload pins it for the whole copy. (The `ref T` overload used before wraps the bare address,
            // which ILGPU documents as "of a pinned buffer": a garbage collection moving the managed array mid-copy
            // made ILGPU read or write where it had been: the likely cause of all-zero results read back in two full test
            // runs; one run crashed inside that copy.)
            d.View.CopyFromCPU(_stream, source);
        }
    }

    /// <inheritdoc/>
    public void Download(Span<float> destination, DeviceTensor source)
    {
        var s = Cast(source);
        if (destination.Length != s.Length)
        {
            throw new ArgumentException($"downloading a {s.Shape} tensor into {destination.Length} values");
        }

        if (destination.Length > 0)
        {
            // Copy only once the kernels that write it are done, whatever ordering the accelerator's copies have.
            _stream.Synchronize();

            s.View.CopyToCPU(_stream, destination); // pinned for the copy (see Upload); waits for it
        }
    }

    /// <inheritdoc/>
    public void Conv(DeviceTensor y, DeviceTensor x, DeviceTensor w, DeviceTensor? b, ConvParams p)
    {
        ArrayView<float> yv = Cast(y).View, xv = Cast(x).View, wv = Cast(w).View;
        var win = p.Window;
        int cg = p.GroupInputs, mg = p.GroupOutputs, kk = cg * win.KernelH * win.KernelW, spatial = p.OutH * p.OutW;
        if (mg <= DirectConvMaxOutputs && kk <= DirectConvMaxTaps)
        {
            var direct = new DirectConvArgs(p.C, p.H, p.W, p.M, cg, mg, win.KernelH, win.KernelW, win.StrideH, win.StrideW, win.PadTop, win.PadLeft, win.DilationH, win.DilationW, p.OutH, p.OutW, b is null ? 0 : 1, p.Relu ? 1 : 0);
            _directConv(_stream, Launch(y.Length), xv, wv, b is null ? wv : Cast(b).View, yv, direct, Launch(y.Length));
            return;
        }

        var columns = Scratch((long)kk * spatial);
        for (var n = 0; n < p.N; n++)
        {
            for (var g = 0; g < p.Groups; g++)
            {
                var args = new Im2ColArgs(cg, p.H, p.W, win.KernelH, win.KernelW, win.StrideH, win.StrideW, win.PadTop, win.PadLeft, win.DilationH, win.DilationW, p.OutH, p.OutW, ((n * p.C) + (g * cg)) * p.H * p.W);
                var total = kk * spatial;
                _im2col(_stream, Launch(total), xv, columns, args, total, Launch(total));
                // Bias and a fused Relu in the GEMM's store: the output is written once.
                LaunchGemm(wv, columns, yv, new GemmArgs(mg, spatial, kk, kk, 1, spatial, 1, 1f, 0f, g * mg * kk, 0, ((n * p.M) + (g * mg)) * spatial, spatial,
                    RowBias: b is null ? 0 : 1, BiasOffset: g * mg, Relu: p.Relu ? 1 : 0), b is null ? default : Cast(b).View);
            }
        }
    }

    /// <inheritdoc/>
    public void Pool(DeviceTensor y, DeviceTensor x, PoolParams p)
    {
        var w = p.Window;
        var args = new PoolArgs((int)p.Kind, p.H, p.W, w.KernelH, w.KernelW, w.StrideH, w.StrideW, w.PadTop, w.PadLeft, w.PadBottom, w.PadRight, w.DilationH, w.DilationW, p.OutH, p.OutW, p.CountIncludePad ? 1 : 0);
        _pool(_stream, Launch(y.Length), Cast(x).View, Cast(y).View, args, Launch(y.Length));
    }

    /// <inheritdoc/>
    public void Activation(DeviceTensor y, DeviceTensor x, ActivationKind kind, float alpha) =>
        _activation(_stream, Launch(y.Length), Cast(x).View, Cast(y).View, (int)kind, alpha, Launch(y.Length));

    /// <inheritdoc/>
    public void Binary(DeviceTensor y, DeviceTensor a, DeviceTensor b, BinaryKind kind, BroadcastParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        int[] d = p.OutDims, sa = p.AStrides, sb = p.BStrides;
        var args = new BroadcastArgs(d[0], d[1], d[2], d[3], d[4], d[5], sa[0], sa[1], sa[2], sa[3], sa[4], sa[5], sb[0], sb[1], sb[2], sb[3], sb[4], sb[5], (int)kind);
        _binary(_stream, Launch(y.Length), Cast(a).View, Cast(b).View, Cast(y).View, args, Launch(y.Length));
    }

    /// <inheritdoc/>
    public void Lrn(DeviceTensor y, DeviceTensor x, LrnParams p) =>
        _lrn(_stream, Launch(y.Length), Cast(x).View, Cast(y).View, p.C, p.Spatial, p.Size, p.Alpha, p.Beta, p.Bias, Launch(y.Length));

    /// <inheritdoc/>
    public void BatchNorm(DeviceTensor y, DeviceTensor x, DeviceTensor scale, DeviceTensor bias, DeviceTensor mean, DeviceTensor variance, float epsilon)
    {
        int n = x.Shape[0], c = x.Shape[1], spatial = x.Length / Math.Max(1, n * c);
        _batchNorm(_stream, Launch(y.Length), Cast(x).View, Cast(y).View, Cast(scale).View, Cast(bias).View, Cast(mean).View, Cast(variance).View, spatial, c, epsilon, Launch(y.Length));
    }

    /// <inheritdoc/>
    public void Gemm(DeviceTensor y, DeviceTensor a, DeviceTensor b, DeviceTensor? c, GemmParams p)
    {
        var yv = Cast(y).View;
        var beta = 0f;
        if (c is not null && p.Bias != BiasLayout.None && p.Beta != 0f)
        {
            // Broadcast C into Y first (a strided copy per layout), then accumulate the product with beta.
            var cv = Cast(c);
            switch (p.Bias)
            {
                case BiasLayout.Scalar:
                    CopyBlocks(y, 0, 1, c, 0, 0, p.M * p.N, 1);
                    break;
                case BiasLayout.Row:
                    CopyBlocks(y, 0, p.N, c, 0, 0, p.M, p.N);
                    break;
                case BiasLayout.Column:
                    for (var j = 0; j < p.N; j++)
                    {
                        _copy(_stream, Launch(p.M), cv.View, yv, 0, 1, j, p.N, 1, p.M, Launch(p.M));
                    }

                    break;
                default:
                    CopyBlocks(y, 0, 0, c, 0, 0, 1, p.M * p.N);
                    break;
            }

            beta = p.Beta;
        }

        int a0 = p.TransA ? 1 : p.K, a1 = p.TransA ? p.M : 1, b0 = p.TransB ? 1 : p.N, b1 = p.TransB ? p.K : 1;
        LaunchGemm(Cast(a).View, Cast(b).View, yv, new GemmArgs(p.M, p.N, p.K, a0, a1, b0, b1, p.Alpha, beta, 0, 0, 0, p.N));
    }

    /// <inheritdoc/>
    public void MatMul(DeviceTensor y, DeviceTensor a, DeviceTensor b, MatMulParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        for (var batch = 0; batch < p.Batch; batch++)
        {
            LaunchGemm(Cast(a).View, Cast(b).View, Cast(y).View, new GemmArgs(p.M, p.N, p.K, p.K, 1, p.N, 1, 1f, 0f, p.AOffsets[batch], p.BOffsets[batch], batch * p.M * p.N, p.N));
        }
    }

    /// <inheritdoc/>
    public void Softmax(DeviceTensor y, DeviceTensor x, SoftmaxParams p)
    {
        var lines = p.Outer * p.Inner;
        _softmax(_stream, Launch(lines), Cast(x).View, Cast(y).View, p.Outer, p.Axis, p.Inner, p.Log ? 1 : 0, Launch(lines));
    }

    /// <inheritdoc/>
    public void CopyBlocks(DeviceTensor y, int yOffset, int yStride, DeviceTensor x, int xOffset, int xStride, int blocks, int run)
    {
        var total = blocks * run;
        if (total > 0)
        {
            _copy(_stream, Launch(total), Cast(x).View, Cast(y).View, xOffset, xStride, yOffset, yStride, run, total, Launch(total));
        }
    }

    /// <inheritdoc/>
    public void Transpose(DeviceTensor y, DeviceTensor x, TransposeParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        int[] d = p.OutDims, s = p.InStrides;
        var args = new BroadcastArgs(d[0], d[1], d[2], d[3], d[4], d[5], s[0], s[1], s[2], s[3], s[4], s[5], 0, 0, 0, 0, 0, 0, 0);
        _transpose(_stream, Launch(y.Length), Cast(x).View, Cast(y).View, args, Launch(y.Length));
    }

    /// <inheritdoc/>
    public DeviceBytes AllocateBytes(int length) => new IlgpuBytes(_accelerator.Allocate1D<byte>(Math.Max(1, length)), length);

    /// <inheritdoc/>
    public void UploadBytes(DeviceBytes destination, ReadOnlySpan<byte> source)
    {
        if (source.Length > 0)
        {
            _stream.Synchronize(); // as in Upload: earlier kernels may still read the buffer
            CastBytes(destination).Buffer.View.SubView(0, source.Length).CopyFromCPU(_stream, source); // pinned, as in Upload
        }
    }

    /// <inheritdoc/>
    public void DownloadBytes(Span<byte> destination, DeviceBytes source)
    {
        if (destination.Length > 0)
        {
            _stream.Synchronize(); // as in Download: the kernels that write it come first
            CastBytes(source).Buffer.View.SubView(0, destination.Length).CopyToCPU(_stream, destination); // pinned, as in Download
        }
    }

    /// <inheritdoc/>
    public void Preprocess(DeviceTensor y, DeviceBytes bgr, PreprocessParams p) =>
        _preprocess(_stream, Launch(y.Length), CastBytes(bgr).Buffer.View, Cast(y).View, PreprocessArgs.From(p), Launch(y.Length));

    /// <inheritdoc/>
    public void PackTiles(DeviceBytes atlas, DeviceTensor x, TileLayout layout)
    {
        var args = new PackArgs(layout.Offset, layout.AtlasWidth, layout.X, layout.Y, layout.Channels, layout.TileW, layout.TileH, layout.Columns, layout.Gap, x.Length / layout.Channels);
        _pack(_stream, layout.Channels, Cast(x).View, CastBytes(atlas).Buffer.View, args);
    }

    /// <inheritdoc/>
    public void Dispose() => _scratch?.Dispose();

    private static IlgpuBytes CastBytes(DeviceBytes b) =>
        b as IlgpuBytes ?? throw new ArgumentException($"a {b?.GetType().Name ?? "null"} buffer was handed to the ILGPU backend");

    private static IlgpuTensor Cast(DeviceTensor t) =>
        t as IlgpuTensor ?? throw new ArgumentException($"a {t?.GetType().Name ?? "null"} tensor was handed to the ILGPU backend");

    private int Launch(int work) => Math.Max(1, Math.Min(work, _threads));

    private void LaunchGemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmArgs g, ArrayView<float> bias = default)
    {
        if (g.M == 0 || g.N == 0)
        {
            return;
        }

        var t = _tile;
        var grid = new Index2D((g.N + t - 1) / t, (g.M + t - 1) / t);
        var config = new KernelConfig(grid, new Index2D(t, t), SharedMemoryConfig.RequestDynamic<float>(2 * t * t));
        _gemm(_stream, config, a, b, c, bias.IsValid ? bias : c, g with { Tile = t });
    }

    private ArrayView<float> Scratch(long length)
    {
        if (_scratch is null || _scratch.Length < length)
        {
            _stream.Synchronize();
            _scratch?.Dispose();
            _scratch = _accelerator.Allocate1D<float>(Math.Max(1, length));
        }

        return _scratch.View;
    }
}
