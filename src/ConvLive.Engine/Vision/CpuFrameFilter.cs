// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ConvLive.Engine.Devices;

namespace ConvLive.Engine.Vision;

/// <summary>
/// <see cref="IFrameFilter"/> on the SIMD CPU backend: grey into a zero-padded plane, then each output row is
/// a sum of K² shifted rows (Vector512/Vector256 multiply-adds), bands of rows spread over all cores.
/// </summary>
/// <remarks>Owns its scratch planes; reallocates them only when the frame or kernel size changes.</remarks>
public sealed class CpuFrameFilter : IFrameFilter
{
    private readonly ComputeDevice _device;
    private readonly Backends.Cpu.CpuWorkers _workers;
    private readonly Action<int> _greyBand;
    private readonly Action<int> _correlateBand;
    private float[] _padded = [];   // (H+2r, W+2r) grey, zero border
    private float[] _response = []; // (H,W)
    private int _width;
    private int _height;
    private int _radius = -1;
    private int _bands;
    private Kernel2D _kernel = Kernel2D.Vertical;
    private float[] _weights = Kernel2D.Vertical.Weights.ToArray();

    // Per-frame arguments seen by the row bands; set before Parallel.For, read inside it.
    private unsafe byte* _bgrPtr;
    private unsafe uint* _rgbaPtr;
    private float _scale;

    /// <summary>Creates the filter for the CPU backend.</summary>
    /// <param name="device">A <see cref="DeviceKind.Cpu"/> device; not owned.</param>
    public CpuFrameFilter(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        _workers = device.Workers ?? throw new ArgumentException($"{device.Name} is an ILGPU device; use IlgpuFrameFilter", nameof(device));
        _greyBand = GreyBand;
        _correlateBand = CorrelateBand;
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
            _weights = value.Weights.ToArray();
        }
    }

    /// <inheritdoc/>
    public float Gain { get; set; } = 2f;

    /// <inheritdoc/>
    public unsafe void Run(ReadOnlySpan<byte> bgr, int width, int height, Span<byte> rgba, Span<float> response)
    {
        FrameFilterChecks.Validate(bgr.Length, width, height, rgba.Length, response.Length);
        EnsureSize(width, height, _kernel.Size / 2);
        _scale = Gain / MathF.Max(_kernel.PositiveSum, 1e-6f);
        fixed (byte* src = bgr)
        fixed (byte* dst = rgba)
        {
            _bgrPtr = src;
            _rgbaPtr = (uint*)dst;
            _workers.For(_bands, _greyBand);
            _workers.For(_bands, _correlateBand);
            _bgrPtr = null;
            _rgbaPtr = null;
        }

        if (!response.IsEmpty)
        {
            _response.AsSpan(0, width * height).CopyTo(response);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // Managed scratch only; nothing to release early.
    }

    /// <summary>y[i] += w·x[i] over the whole span, widest vectors first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MultiplyAdd(float w, ReadOnlySpan<float> x, Span<float> y)
    {
        var n = y.Length;
        ref var xr = ref MemoryMarshal.GetReference(x);
        ref var yr = ref MemoryMarshal.GetReference(y);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var wv = Vector512.Create(w);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var acc = Vector512.LoadUnsafe(ref yr, (nuint)i);
                Vector512.FusedMultiplyAdd(wv, Vector512.LoadUnsafe(ref xr, (nuint)i), acc).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var wv = Vector256.Create(w);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var acc = Vector256.LoadUnsafe(ref yr, (nuint)i);
                Vector256.FusedMultiplyAdd(wv, Vector256.LoadUnsafe(ref xr, (nuint)i), acc).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref yr, i) = MathF.FusedMultiplyAdd(w, Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i));
        }
    }

    private void EnsureSize(int width, int height, int radius)
    {
        if (width == _width && height == _height && radius == _radius)
        {
            return;
        }

        _padded = new float[(height + (2 * radius)) * (width + (2 * radius))];
        _response = new float[width * height];
        _width = width;
        _height = height;
        _radius = radius;
        _bands = Math.Min(height, Environment.ProcessorCount * 4);
    }

    private (int Y0, int Y1) BandRows(int band) =>
        ((int)((long)_height * band / _bands), (int)((long)_height * (band + 1) / _bands));

    private unsafe void GreyBand(int band)
    {
        var (y0, y1) = BandRows(band);
        int width = _width, r = _radius, pw = width + (2 * r);
        for (var y = y0; y < y1; y++)
        {
            var src = _bgrPtr + ((long)y * width * 3);
            var dst = _padded.AsSpan(((y + r) * pw) + r, width);
            for (var x = 0; x < width; x++)
            {
                var p = src + (x * 3);
                dst[x] = ((0.114f * p[0]) + (0.587f * p[1]) + (0.299f * p[2])) * (1f / 255f);
            }
        }
    }

    private unsafe void CorrelateBand(int band)
    {
        var (y0, y1) = BandRows(band);
        int width = _width, r = _radius, k = (2 * r) + 1, pw = width + (2 * r);
        var weights = _weights;
        for (var y = y0; y < y1; y++)
        {
            var row = _response.AsSpan(y * width, width);
            row.Clear();
            for (var ky = 0; ky < k; ky++)
            {
                var srcRow = _padded.AsSpan((y + ky) * pw, pw);
                for (var kx = 0; kx < k; kx++)
                {
                    var w = weights[(ky * k) + kx];
                    if (w != 0f)
                    {
                        MultiplyAdd(w, srcRow.Slice(kx, width), row);
                    }
                }
            }

            var dst = _rgbaPtr + ((long)y * width);
            for (var x = 0; x < width; x++)
            {
                dst[x] = Colormap.Diverging(row[x], _scale);
            }
        }
    }
}
