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
/// Convolution is an implicit GEMM (the register-blocked GEMM reading its input as im2col columns): no scratch buffer.
/// </summary>
/// <remarks>Owns nothing on the device (not the device either). One thread.</remarks>
public sealed partial class IlgpuBackend : IBackend
{
    private readonly ComputeDevice _device;
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly int _threads;
    private readonly int _tile;

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
        LoadConv();
        LoadPool();
        LoadActivation();
        LoadBinary();
        LoadNormalise();
        LoadSoftmax();
        LoadMatrix();
        LoadShape();
        LoadVisual();
        LoadAugment();
        LoadTrainingKernels();
    }

    /// <inheritdoc/>
    public string Name => _device.Name;

    /// <inheritdoc/>
    public DeviceKind Kind => _device.Kind;

    /// <inheritdoc/>
    public BackendOptions Options { get; } = BackendOptions.Default;

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
    public void Synchronize() => Sync();

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
            Sync();

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
            Sync();

            s.View.CopyToCPU(_stream, destination); // pinned for the copy (see Upload); waits for it
        }
    }

    /// <inheritdoc/>
    public DeviceBytes AllocateBytes(int length) => new IlgpuBytes(_accelerator.Allocate1D<byte>(Math.Max(1, length)), length);

    /// <inheritdoc/>
    public void UploadBytes(DeviceBytes destination, ReadOnlySpan<byte> source)
    {
        if (source.Length > 0)
        {
            Sync(); // as in Upload: earlier kernels may still read the buffer
            CastBytes(destination).Buffer.View.SubView(0, source.Length).CopyFromCPU(_stream, source); // pinned, as in Upload
        }
    }

    /// <inheritdoc/>
    public void DownloadBytes(Span<byte> destination, DeviceBytes source)
    {
        if (destination.Length > 0)
        {
            Sync(); // as in Download: the kernels that write it come first
            CastBytes(source).Buffer.View.SubView(0, destination.Length).CopyToCPU(_stream, destination); // pinned, as in Download
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // Nothing of its own on the device: tensors are disposed by their owners, the device by its own.
    }

    private static IlgpuBytes CastBytes(DeviceBytes b) =>
        b as IlgpuBytes ?? throw new ArgumentException($"a {b?.GetType().Name ?? "null"} buffer was handed to the ILGPU backend");

    private static IlgpuTensor Cast(DeviceTensor t) =>
        t as IlgpuTensor ?? throw new ArgumentException($"a {t?.GetType().Name ?? "null"} tensor was handed to the ILGPU backend");

    private int Launch(int work) => Math.Max(1, Math.Min(work, _threads));
}
