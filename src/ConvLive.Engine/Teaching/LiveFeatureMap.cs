// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ConvLive.Engine.Vision;

namespace ConvLive.Engine.Teaching;

/// <summary>What the live kernels view applies to each frame.</summary>
/// <param name="Filter">Kernel, stride, padding, convolution or correlation, activation and pooling.</param>
/// <param name="Partner">With a second kernel the map is the gradient magnitude sqrt(a² + b²) of the two, else null.</param>
/// <param name="Shift">Also run the frame shifted right by this many pixels and measure how the maps change (0: off).</param>
public sealed record KernelViewSettings(FilterSettings Filter, Kernel2D? Partner = null, int Shift = 0);

/// <summary>How much a map changed when the input moved <see cref="KernelViewSettings.Shift"/> pixels:
/// mean |after − before| / mean |before|, for the feature map before pooling and for the final map.</summary>
/// <param name="Feature">Change of the (activated) feature map.</param>
/// <param name="Final">Change of the final map (after pooling when there is pooling).</param>
public readonly record struct ShiftChange(double Feature, double Final);

/// <summary>
/// The lecture's filter on live frames, on a backend: grey frame → convolution (or two, for a gradient magnitude)
/// → activation → pooling, as <see cref="FeatureMapFilter"/> defines it, with buffers planned once per setting
/// so frames allocate nothing. Optionally runs a shifted copy of the frame to show translation equivariance.
/// </summary>
/// <remarks>Owns its buffers; does not own the backend. One thread.</remarks>
public sealed class LiveFeatureMap(IBackend backend) : IDisposable
{
    private readonly List<DeviceTensor> _tensors = [];
    private (int H, int W, KernelViewSettings? S) _planned;
    private DeviceTensor _x = null!;
    private DeviceTensor _weights = null!;
    private DeviceTensor? _partnerWeights;
    private DeviceTensor _conv = null!;
    private DeviceTensor? _partnerConv;
    private DeviceTensor? _activated;
    private DeviceTensor? _pooled;
    private float[] _grey = [];
    private float[] _shifted = [];
    private float[] _hostA = [];
    private float[] _hostB = [];
    private float[] _featureA = [];
    private float[] _featureB = [];
    private float[] _finalB = [];

    /// <summary>The arithmetic of the current setting on the current frame size.</summary>
    public FilterArithmetic? Arithmetic { get; private set; }

    /// <summary>Final map width (after pooling).</summary>
    public int MapWidth => Arithmetic?.PooledW ?? 0;

    /// <summary>Final map height.</summary>
    public int MapHeight => Arithmetic?.PooledH ?? 0;

    /// <summary>Runs one frame.</summary>
    /// <param name="bgr">Packed BGR bytes.</param>
    /// <param name="width">Frame width.</param>
    /// <param name="height">Frame height.</param>
    /// <param name="s">The setting.</param>
    /// <param name="map">Receives MapHeight·MapWidth values.</param>
    /// <param name="difference">With a shift, receives |shifted − unshifted| of the final map (same size); else untouched.</param>
    /// <returns>How much the maps changed with the shift (zero without one).</returns>
    /// <exception cref="ArgumentException">The setting does not fit the frame (the message has the arithmetic).</exception>
    public ShiftChange Run(ReadOnlySpan<byte> bgr, int width, int height, KernelViewSettings s, Span<float> map, Span<float> difference)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (_planned != (height, width, s))
        {
            Plan(height, width, s);
        }

        for (int i = 0, p = 0; i < _grey.Length; i++, p += 3)
        {
            _grey[i] = ((0.114f * bgr[p]) + (0.587f * bgr[p + 1]) + (0.299f * bgr[p + 2])) / 255f;
        }

        var n = MapWidth * MapHeight;
        Pass(_grey, map[..n], _featureA);
        if (s.Shift <= 0)
        {
            return default;
        }

        for (var y = 0; y < height; y++)
        {
            var row = _grey.AsSpan(y * width, width);
            var shifted = _shifted.AsSpan(y * width, width);
            var k = Math.Min(s.Shift, width);
            shifted[..k].Clear();
            row[..(width - k)].CopyTo(shifted[k..]);
        }

        Pass(_shifted, _finalB, _featureB);
        for (var i = 0; i < n; i++)
        {
            difference[i] = MathF.Abs(_finalB[i] - map[i]);
        }

        return new ShiftChange(Change(_featureA, _featureB), Change(map[..n], _finalB));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in _tensors)
        {
            t.Dispose();
        }

        _tensors.Clear();
    }

    private static double Change(ReadOnlySpan<float> before, ReadOnlySpan<float> after)
    {
        double moved = 0, size = 0;
        for (var i = 0; i < before.Length; i++)
        {
            moved += Math.Abs(after[i] - before[i]);
            size += Math.Abs(before[i]);
        }

        return size > 0 ? moved / size : 0;
    }

    private void Pass(float[] grey, Span<float> final, float[] feature)
    {
        var s = _planned.S!;
        var a = Arithmetic!;
        var f = s.Filter;
        var window = new Window2D(f.Kernel.Size, f.Kernel.Size, f.Stride, f.Stride, f.Padding, f.Padding, f.Padding, f.Padding, 1, 1);
        var conv = new ConvParams(1, 1, _planned.H, _planned.W, 1, 1, window, a.OutH, a.OutW);
        backend.Upload(_x, grey);
        backend.Conv(_conv, _x, _weights, null, conv);
        if (_partnerConv is not null)
        {
            backend.Conv(_partnerConv, _x, _partnerWeights!, null, conv);
            backend.Download(_hostA, _conv);
            backend.Download(_hostB, _partnerConv);
            for (var i = 0; i < _hostA.Length; i++)
            {
                _hostA[i] = MathF.Sqrt((_hostA[i] * _hostA[i]) + (_hostB[i] * _hostB[i]));
            }

            backend.Upload(_conv, _hostA);
        }

        var current = _conv;
        if (_activated is not null)
        {
            backend.Activation(_activated, current, f.Activation!.Value, 0.01f);
            current = _activated;
        }

        backend.Download(feature, current);
        if (_pooled is not null)
        {
            var poolWindow = new Window2D(f.PoolSize, f.PoolSize, f.PoolStride, f.PoolStride, 0, 0, 0, 0, 1, 1);
            backend.Pool(_pooled, current, new PoolParams(f.Pool!.Value, 1, 1, a.OutH, a.OutW, poolWindow, a.PooledH, a.PooledW, false));
            backend.Download(final, _pooled);
        }
        else
        {
            feature.AsSpan().CopyTo(final);
        }
    }

    private void Plan(int h, int w, KernelViewSettings s)
    {
        var f = s.Filter;
        if (s.Partner is { } partner && partner.Size != f.Kernel.Size)
        {
            throw new ArgumentException($"gradient magnitude needs two kernels of one size; {f.Kernel} and {partner} differ");
        }

        var a = FeatureMapFilter.Arithmetic(h, w, f);
        Dispose();
        DeviceTensor New(TensorShape shape)
        {
            var t = backend.Allocate(shape);
            _tensors.Add(t);
            return t;
        }

        var k = f.Kernel.Size;
        _x = New(new TensorShape(1, 1, h, w));
        _weights = New(new TensorShape(1, 1, k, k));
        backend.Upload(_weights, (f.Convolution ? f.Kernel.Flipped() : f.Kernel).Weights);
        _conv = New(new TensorShape(1, 1, a.OutH, a.OutW));
        _partnerWeights = s.Partner is null ? null : New(new TensorShape(1, 1, k, k));
        _partnerConv = s.Partner is null ? null : New(new TensorShape(1, 1, a.OutH, a.OutW));
        if (s.Partner is { } p)
        {
            backend.Upload(_partnerWeights!, (f.Convolution ? p.Flipped() : p).Weights);
        }

        _activated = f.Activation is null ? null : New(_conv.Shape);
        _pooled = f.Pool is null ? null : New(new TensorShape(1, 1, a.PooledH, a.PooledW));
        _grey = new float[h * w];
        _shifted = new float[h * w];
        _hostA = new float[a.OutH * a.OutW];
        _hostB = new float[a.OutH * a.OutW];
        _featureA = new float[a.OutH * a.OutW];
        _featureB = new float[a.OutH * a.OutW];
        _finalB = new float[a.PooledH * a.PooledW];
        Arithmetic = a;
        _planned = (h, w, s);
    }
}
