// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace ConvLive.Engine.Backends.Ilgpu;

internal readonly record struct AugmentArgs(float M00, float M01, float M02, float M10, float M11, float M12, float Brightness, float Contrast, float Saturation, float Blur)
{
    public static AugmentArgs From(AugmentView v) => new(v.M00, v.M01, v.M02, v.M10, v.M11, v.M12, v.Brightness, v.Contrast, v.Saturation, v.Blur);
}

/// <summary>Augmented views of a frame for training on an ILGPU device.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<float>, PreprocessArgs, AugmentArgs, int, int> _augment = null!;

    /// <inheritdoc/>
    public void Augment(DeviceTensor y, int item, DeviceBytes bgr, PreprocessParams p, AugmentView view)
    {
        var pixels = p.Size * p.Size;
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        if ((item + 1) * 3 * pixels > y.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(item), $"item {item} of 3x{p.Size}x{p.Size} is past the end of a tensor of {y.Length} values");
        }

        _augment(_stream, Launch(pixels), CastBytes(bgr).Buffer.View, Cast(y).View, PreprocessArgs.From(p), AugmentArgs.From(view), item * 3 * pixels, Launch(pixels));
    }

    private void LoadAugment() =>
        _augment = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, ArrayView<float>, PreprocessArgs, AugmentArgs, int, int>(VisualKernels.Augment));
}

/// <summary>The augmentation kernel.</summary>
internal static partial class VisualKernels
{
    /// <summary>One output pixel (three channels) per thread, as <see cref="AugmentView"/> defines it.</summary>
    public static void Augment(Index1D i, ArrayView<byte> frame, ArrayView<float> y, PreprocessArgs p, AugmentArgs v, int offset, int stride)
    {
        var pixels = p.Size * p.Size;
        var taps = v.Blur > 0 ? 1 : 0;
        var w1 = v.Blur > 0 ? XMath.Exp(-1f / (2f * v.Blur * v.Blur)) : 0f;
        for (var e = (int)i; e < pixels; e += stride)
        {
            var oy = e / p.Size;
            var ox = e - (oy * p.Size);
            float r = 0, g = 0, b = 0, total = 0;
            for (var dy = -taps; dy <= taps; dy++)
            {
                for (var dx = -taps; dx <= taps; dx++)
                {
                    var w = dx == 0 && dy == 0 ? 1f : dx == 0 || dy == 0 ? w1 : w1 * w1;
                    var cx = ox + dx + 0.5f;
                    var cy = oy + dy + 0.5f;
                    var sx = XMath.Clamp((v.M00 * cx) + (v.M01 * cy) + v.M02 - 0.5f, 0f, p.FrameWidth - 1);
                    var sy = XMath.Clamp((v.M10 * cx) + (v.M11 * cy) + v.M12 - 0.5f, 0f, p.FrameHeight - 1);
                    r += w * Bilinear(frame, p.FrameWidth, p.FrameHeight, sx, sy, 2);
                    g += w * Bilinear(frame, p.FrameWidth, p.FrameHeight, sx, sy, 1);
                    b += w * Bilinear(frame, p.FrameWidth, p.FrameHeight, sx, sy, 0);
                    total += w;
                }
            }

            r /= total;
            g /= total;
            b /= total;
            var grey = (0.299f * r) + (0.587f * g) + (0.114f * b);
            r = Colour(r, grey, v);
            g = Colour(g, grey, v);
            b = Colour(b, grey, v);

            // Output channel order: RGB, or BGR when the model wants it.
            var c0 = p.Bgr != 0 ? b : r;
            var c2 = p.Bgr != 0 ? r : b;
            y[offset + e] = ((c0 * p.Scale) - p.Mean0) / p.Std0;
            y[offset + pixels + e] = ((g * p.Scale) - p.Mean1) / p.Std1;
            y[offset + (2 * pixels) + e] = ((c2 * p.Scale) - p.Mean2) / p.Std2;
        }
    }

    private static float Colour(float value, float grey, AugmentArgs v)
    {
        value = grey + (v.Saturation * (value - grey));
        value = 128f + (v.Contrast * (value - 128f));
        return XMath.Clamp(value * v.Brightness, 0f, 255f);
    }

    private static float Bilinear(ArrayView<byte> frame, int width, int height, float sx, float sy, int channel)
    {
        var x0 = (int)sx;
        var y0 = (int)sy;
        var x1 = XMath.Min(x0 + 1, width - 1);
        var y1 = XMath.Min(y0 + 1, height - 1);
        var fx = sx - x0;
        var fy = sy - y0;
        float a = frame[(((y0 * width) + x0) * 3) + channel];
        float b = frame[(((y0 * width) + x1) * 3) + channel];
        float c = frame[(((y1 * width) + x0) * 3) + channel];
        float d = frame[(((y1 * width) + x1) * 3) + channel];
        var top = a + ((b - a) * fx);
        var bottom = c + ((d - c) * fx);
        return top + ((bottom - top) * fy);
    }
}
