// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.InteropServices;
using ConvLive.Engine.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace ConvLive.Engine.Vision;

/// <summary>
/// <see cref="IFrameFilter"/> on an ILGPU accelerator: three kernels (grey, correlate, colormap) launched on
/// the device's stream, one upload and one or two downloads per frame.
/// </summary>
/// <remarks>
/// Kernels are loaded once, in the constructor. Device buffers are owned by this filter and reallocated only
/// when the frame size changes. Does not own the <see cref="ComputeDevice"/>.
/// </remarks>
public sealed class IlgpuFrameFilter : IFrameFilter
{
    private const int MaxKernelSize = 31;

    private readonly ComputeDevice _device;
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<float>, int> _grey;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> _correlate;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<uint>, float, int> _colormap;
    private readonly int _maxThreads;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _weights; // (K*K), K <= MaxKernelSize
    private MemoryBuffer1D<byte, Stride1D.Dense>? _bgr;       // (H,W,3)
    private MemoryBuffer1D<float, Stride1D.Dense>? _grey2d;   // (H,W)
    private MemoryBuffer1D<float, Stride1D.Dense>? _response; // (H,W)
    private MemoryBuffer1D<uint, Stride1D.Dense>? _rgba;      // (H,W) packed RGBA
    private int _width;
    private int _height;
    private Kernel2D _kernel = Kernel2D.Vertical;
    private bool _weightsDirty = true;
    private bool _disposed;

    /// <summary>Loads the kernels on <paramref name="device"/>.</summary>
    /// <param name="device">An ILGPU device (<see cref="ComputeDevice.IsIlgpu"/>); not owned.</param>
    /// <exception cref="ArgumentException">The device is the SIMD CPU backend.</exception>
    public IlgpuFrameFilter(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.Accelerator is null || device.Stream is null)
        {
            throw new ArgumentException($"{device.Name} is not an ILGPU device; use CpuFrameFilter", nameof(device));
        }

        _device = device;
        _accelerator = device.Accelerator;
        _stream = device.Stream;
        _grey = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, ArrayView<float>, int>(GreyKernel);
        _correlate = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(CorrelateKernel);
        _colormap = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<uint>, float, int>(ColormapKernel);

        // Enough threads to fill every multiprocessor; each loops over the pixels a grid-stride apart. On ILGPU's
        // CPU simulator this keeps per-thread overhead from dominating (one thread per pixel took ~3 s a frame).
        _maxThreads = Math.Max(1, _accelerator.NumMultiprocessors * _accelerator.MaxNumThreadsPerMultiprocessor);
        _weights = _accelerator.Allocate1D<float>(MaxKernelSize * MaxKernelSize);
    }

    /// <inheritdoc/>
    public string DeviceName => _device.Name;

    /// <inheritdoc/>
    public Kernel2D Kernel
    {
        get => _kernel;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _kernel = value;
            _weightsDirty = true;
        }
    }

    /// <inheritdoc/>
    public float Gain { get; set; } = 2f;

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> bgr, int width, int height, Span<byte> rgba, Span<float> response)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        FrameFilterChecks.Validate(bgr.Length, width, height, rgba.Length, response.Length);
        EnsureSize(width, height);
        if (_weightsDirty)
        {
            var w = _kernel.Weights;
            _weights.View.SubView(0, w.Length).CopyFromCPU(_stream, w); // span overloads pin (see IlgpuBackend.Upload)
            _weightsDirty = false;
        }

        var threads = Math.Min(width * height, _maxThreads);
        _bgr!.View.CopyFromCPU(_stream, bgr);
        _grey(_stream, threads, _bgr.View, _grey2d!.View, threads);
        _correlate(_stream, threads, _grey2d.View, _weights.View, _response!.View, width, _kernel.Size, threads);
        _colormap(_stream, threads, _response.View, _rgba!.View, Gain / MathF.Max(_kernel.PositiveSum, 1e-6f), threads);
        var rgbaWords = MemoryMarshal.Cast<byte, uint>(rgba);
        _rgba.View.CopyToCPU(_stream, rgbaWords);
        if (!response.IsEmpty)
        {
            _response.View.CopyToCPU(_stream, response);
        }

        _stream.Synchronize();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        FreeFrameBuffers();
        _weights.Dispose();
    }

    private void EnsureSize(int width, int height)
    {
        if (width == _width && height == _height && _bgr is not null)
        {
            return;
        }

        FreeFrameBuffers();
        long pixels = (long)width * height;
        _bgr = _accelerator.Allocate1D<byte>(pixels * 3);
        _grey2d = _accelerator.Allocate1D<float>(pixels);
        _response = _accelerator.Allocate1D<float>(pixels);
        _rgba = _accelerator.Allocate1D<uint>(pixels);
        _width = width;
        _height = height;
    }

    private void FreeFrameBuffers()
    {
        _bgr?.Dispose();
        _grey2d?.Dispose();
        _response?.Dispose();
        _rgba?.Dispose();
        _bgr = null;
        _grey2d = null;
        _response = null;
        _rgba = null;
    }

    /// <summary>BGR bytes (H,W,3) to BT.601 grey in [0, 1] (H,W); grid-stride over pixels.</summary>
    private static void GreyKernel(Index1D i, ArrayView<byte> bgr, ArrayView<float> grey, int stride)
    {
        for (var p = (int)i; p < grey.IntLength; p += stride)
        {
            var q = p * 3;
            grey[p] = ((0.114f * bgr[q]) + (0.587f * bgr[q + 1]) + (0.299f * bgr[q + 2])) * (1f / 255f);
        }
    }

    /// <summary>
    /// Cross-correlation of grey (H,W) with a K×K kernel, zero padding K/2, stride 1; grid-stride over output
    /// pixels in row order, so neighbouring threads read neighbouring pixels and global loads coalesce.
    /// </summary>
    private static void CorrelateKernel(Index1D i, ArrayView<float> grey, ArrayView<float> weights, ArrayView<float> output, int width, int k, int stride)
    {
        var height = output.IntLength / width;
        var r = k / 2;
        for (var p = (int)i; p < output.IntLength; p += stride)
        {
            var y = p / width;
            var x = p - (y * width);
            var acc = 0f;
            for (var ky = 0; ky < k; ky++)
            {
                var yy = y + ky - r;
                if (yy < 0 || yy >= height)
                {
                    continue;
                }

                for (var kx = 0; kx < k; kx++)
                {
                    var xx = x + kx - r;
                    if (xx >= 0 && xx < width)
                    {
                        acc += weights[(ky * k) + kx] * grey[(yy * width) + xx];
                    }
                }
            }

            output[p] = acc;
        }
    }

    /// <summary>Response (H,W) to packed RGBA (H,W) through <see cref="Colormap.Diverging"/>; grid-stride.</summary>
    private static void ColormapKernel(Index1D i, ArrayView<float> response, ArrayView<uint> rgba, float scale, int stride)
    {
        for (var p = (int)i; p < rgba.IntLength; p += stride)
        {
            rgba[p] = Colormap.Diverging(response[p], scale);
        }
    }
}
