// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Layers;

/// <summary>Reads kernel, strides, pads, dilations and auto_pad the way Conv and the pools share them.</summary>
internal static class WindowAttributes
{
    public static Window2D Read(LayerContext ctx, TensorShape x, int kernelH, int kernelW, bool ceilMode, out int outH, out int outW)
    {
        var a = ctx.Attributes;
        var signal = ctx.IsSignal(0);
        var kernel = Lift(a.Ints("kernel_shape"), signal, 1);
        if (kernel is not null && (kernel.Length != 2 || kernel[0] != kernelH || kernel[1] != kernelW))
        {
            throw kernel.Length != 2 ? ctx.Unsupported($"kernel_shape of rank {kernel.Length}") : ctx.Invalid($"kernel_shape [{string.Join(',', kernel)}] differs from the weight's {kernelH}x{kernelW}");
        }

        var strides = Pair(ctx, Lift(a.Ints("strides"), signal, 1), "strides", 1);
        var dilations = Pair(ctx, Lift(a.Ints("dilations"), signal, 1), "dilations", 1);
        var pads = (signal && a.Ints("pads") is { Length: 2 } p1 ? [0, p1[0], 0, p1[1]] : a.Ints("pads")) ?? [0, 0, 0, 0];
        if (pads.Length != 4 || pads.Any(v => v < 0 || v > 65536))
        {
            throw ctx.Invalid($"pads [{string.Join(',', pads)}] should be 4 values [top, left, bottom, right] ≥ 0");
        }

        int top = (int)pads[0], left = (int)pads[1], bottom = (int)pads[2], right = (int)pads[3];
        var autoPad = a.String("auto_pad", "NOTSET");
        try
        {
            outH = Window2D.Resolve(autoPad, x[2], kernelH, strides.Item1, dilations.Item1, ref top, ref bottom, ceilMode);
            outW = Window2D.Resolve(autoPad, x[3], kernelW, strides.Item2, dilations.Item2, ref left, ref right, ceilMode);
        }
        catch (ArgumentException e)
        {
            throw ctx.Invalid($"input {x}: {e.Message}");
        }

        return new Window2D(kernelH, kernelW, strides.Item1, strides.Item2, top, left, bottom, right, dilations.Item1, dilations.Item2);
    }

    /// <summary>A 1-D attribute [v] becomes the 2-D [fill, v] of a height-1 image.</summary>
    public static long[]? Lift(long[]? values, bool signal, long fill) =>
        signal && values is { Length: 1 } ? [fill, values[0]] : values;

    public static (int, int) Pair(LayerContext ctx, long[]? values, string name, int fallback)
    {
        if (values is null)
        {
            return (fallback, fallback);
        }

        if (values.Length != 2 || values.Any(v => v < 1 || v > 65536))
        {
            throw values.Length != 2 ? ctx.Unsupported($"{name} of rank {values.Length}") : ctx.Invalid($"{name} [{string.Join(',', values)}] must be ≥ 1");
        }

        return ((int)values[0], (int)values[1]);
    }
}
