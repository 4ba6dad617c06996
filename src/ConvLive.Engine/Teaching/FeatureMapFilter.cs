// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using System.Text;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ConvLive.Engine.Vision;

namespace ConvLive.Engine.Teaching;

/// <summary>What the lecture's single-kernel layer does to a grey image.</summary>
/// <param name="Kernel">The K×K kernel.</param>
/// <param name="Stride">Stride S ≥ 1.</param>
/// <param name="Padding">Zero padding P ≥ 0 on every side.</param>
/// <param name="Convolution">True convolution (the lecture's formula flips the kernel) instead of CNN libraries'
/// cross-correlation.</param>
/// <param name="Activation">An activation after the kernel, or null.</param>
/// <param name="Pool">A pooling after that, or null.</param>
/// <param name="PoolSize">Pooling window side.</param>
/// <param name="PoolStride">Pooling stride.</param>
public sealed record FilterSettings(Kernel2D Kernel, int Stride = 1, int Padding = 0, bool Convolution = false, ActivationKind? Activation = null, PoolKind? Pool = null, int PoolSize = 2, int PoolStride = 2);

/// <summary>The output-size arithmetic of a setting, with the numbers filled in.</summary>
/// <param name="OutH">Rows after the kernel.</param>
/// <param name="OutW">Columns after the kernel.</param>
/// <param name="PooledH">Rows after pooling (= OutH without pooling).</param>
/// <param name="PooledW">Columns after pooling.</param>
/// <param name="Parameters">Weights in the layer: K·K (one kernel, no bias), shared by every position.</param>
/// <param name="Computations">Multiply-adds: K·K per output position.</param>
/// <param name="Lines">The arithmetic as the lecture writes it, one line each.</param>
public sealed record FilterArithmetic(int OutH, int OutW, int PooledH, int PooledW, long Parameters, long Computations, IReadOnlyList<string> Lines);

/// <summary>
/// One kernel over a grey image, as the lecture draws it: zero padding, stride, correlation or convolution, an
/// activation, a pooling. Runs on any backend through the engine's own Conv, Activation and Pool ops.
/// </summary>
public static class FeatureMapFilter
{
    /// <summary>The sizes and counts of <paramref name="s"/> on an <paramref name="h"/>×<paramref name="w"/> image.</summary>
    /// <param name="h">Image rows.</param>
    /// <param name="w">Image columns.</param>
    /// <param name="s">The setting.</param>
    /// <returns>The arithmetic.</returns>
    /// <exception cref="ArgumentException">A stride below 1, a negative padding, or a kernel larger than the padded image.</exception>
    public static FilterArithmetic Arithmetic(int h, int w, FilterSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.Stride < 1 || s.Padding < 0 || s.PoolSize < 1 || s.PoolStride < 1)
        {
            throw new ArgumentException($"stride {s.Stride}, padding {s.Padding}, pool size {s.PoolSize} and pool stride {s.PoolStride}: strides and sizes must be at least 1, padding at least 0");
        }

        var k = s.Kernel.Size;
        var lines = new List<string>();
        var outH = Line(lines, "rows", "(N - K + 2P)/S + 1", h, k, s.Padding, s.Stride);
        var outW = Line(lines, "columns", "(N - K + 2P)/S + 1", w, k, s.Padding, s.Stride);
        if (outH < 1 || outW < 1)
        {
            throw new ArgumentException($"a {k}x{k} kernel does not fit a {h}x{w} image padded by {s.Padding}");
        }

        int pooledH = outH, pooledW = outW;
        if (s.Pool is { } pool)
        {
            lines.Add($"{pool.ToString().ToLowerInvariant()} pooling {s.PoolSize}x{s.PoolSize}, stride {s.PoolStride}:");
            pooledH = Line(lines, "rows", "(N - K + 2P)/S + 1", outH, s.PoolSize, 0, s.PoolStride);
            pooledW = Line(lines, "columns", "(N - K + 2P)/S + 1", outW, s.PoolSize, 0, s.PoolStride);
            if (pooledH < 1 || pooledW < 1)
            {
                throw new ArgumentException($"a {s.PoolSize}x{s.PoolSize} pooling window does not fit the {outH}x{outW} feature map");
            }
        }

        long parameters = k * k;
        var computations = parameters * outH * outW;
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"parameters: {parameters:N0}, one {k}x{k} kernel shared by all {outH * outW:N0} positions (parameter sharing)"));
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"computations: {k}x{k} x {outH} x {outW} = {computations:N0}; each output sees a {k}x{k} patch (sparse interactions)"));
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"a fully connected layer from {h}x{w} to {outH}x{outW} would need {(long)h * w * outH * outW:N0} weights"));
        return new FilterArithmetic(outH, outW, pooledH, pooledW, parameters, computations, lines);
    }

    /// <summary>Applies the setting to a grey image.</summary>
    /// <param name="backend">Where to run.</param>
    /// <param name="grey">h·w values, row-major (pixels / 255 for an 8-bit image).</param>
    /// <param name="h">Rows.</param>
    /// <param name="w">Columns.</param>
    /// <param name="s">The setting.</param>
    /// <returns>The feature map (PooledH, PooledW).</returns>
    public static Tensor Run(IBackend backend, ReadOnlySpan<float> grey, int h, int w, FilterSettings s)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var a = Arithmetic(h, w, s);
        var kernel = s.Convolution ? s.Kernel.Flipped() : s.Kernel;
        var k = kernel.Size;
        using var x = backend.Allocate(new TensorShape(1, 1, h, w));
        using var weights = backend.Allocate(new TensorShape(1, 1, k, k));
        using var y = backend.Allocate(new TensorShape(1, 1, a.OutH, a.OutW));
        backend.Upload(x, grey);
        backend.Upload(weights, kernel.Weights);
        var window = new Window2D(k, k, s.Stride, s.Stride, s.Padding, s.Padding, s.Padding, s.Padding, 1, 1);
        backend.Conv(y, x, weights, null, new ConvParams(1, 1, h, w, 1, 1, window, a.OutH, a.OutW));
        var result = y;
        using var activated = s.Activation is null ? null : backend.Allocate(y.Shape);
        if (s.Activation is { } activation)
        {
            backend.Activation(activated!, y, activation, 0.01f);
            result = activated!;
        }

        using var pooled = s.Pool is null ? null : backend.Allocate(new TensorShape(1, 1, a.PooledH, a.PooledW));
        if (s.Pool is { } pool)
        {
            var poolWindow = new Window2D(s.PoolSize, s.PoolSize, s.PoolStride, s.PoolStride, 0, 0, 0, 0, 1, 1);
            backend.Pool(pooled!, result, new PoolParams(pool, 1, 1, a.OutH, a.OutW, poolWindow, a.PooledH, a.PooledW, false));
            result = pooled!;
        }

        var output = new Tensor(new TensorShape(a.PooledH, a.PooledW));
        backend.Download(output.Data, result);
        return output;
    }

    private static int Line(List<string> lines, string what, string formula, int n, int k, int p, int s)
    {
        var numerator = n - k + (2 * p);
        var exact = ((double)numerator / s) + 1;
        var size = (int)Math.Floor(exact);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"  {what}: {formula} = ({n} - {k} + 2*{p})/{s} + 1 = {exact:0.###}");
        if (numerator % s != 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" -> {size}: WARNING not a whole number; the last {numerator % s} input {what} are never covered");
        }

        lines.Add(text.ToString());
        return size;
    }
}
