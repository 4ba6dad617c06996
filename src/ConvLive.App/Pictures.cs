// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.IO;
using SkiaSharp;

namespace ConvLive.App;

/// <summary>The app's one PNG path: every picture it writes (screenshots, overlays, samples, charts, filter maps) is
/// encoded by SkiaSharp (the imaging library the app already draws charts and text with) and written through a
/// temporary file and a rename, so a crash never leaves half a file. Pictures are read through Capture's
/// <c>ImageFile</c>.</summary>
internal static class Pictures
{
    /// <summary>Writes width·height·4 RGBA bytes as a PNG.</summary>
    public static void WritePng(string path, byte[] rgba, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rgba.Length, width * height * 4, nameof(rgba));
        using var image = SKImage.FromPixelCopy(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), rgba)
            ?? throw new InvalidOperationException($"SkiaSharp could not take a {width}x{height} picture for {path}");
        using var png = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode {path} as PNG");
        AtomicFile.Write(path, png.SaveTo);
    }

    /// <summary>Writes packed BGR bytes (a camera frame or sample) as a PNG.</summary>
    public static void WriteBgrPng(string path, ReadOnlySpan<byte> bgr, int width, int height)
    {
        var rgba = new byte[width * height * 4];
        for (int i = 0, o = 0; o < rgba.Length; i += 3, o += 4)
        {
            rgba[o] = bgr[i + 2];
            rgba[o + 1] = bgr[i + 1];
            rgba[o + 2] = bgr[i];
            rgba[o + 3] = 255;
        }

        WritePng(path, rgba, width, height);
    }

    /// <summary>Writes values as a grey PNG, their minimum black and their maximum white.</summary>
    public static void WriteGreyPng(string path, ReadOnlySpan<float> values, int width, int height)
    {
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (var v in values)
        {
            (lo, hi) = (Math.Min(lo, v), Math.Max(hi, v));
        }

        var scale = hi > lo ? 255f / (hi - lo) : 0f;
        var rgba = new byte[width * height * 4];
        for (var i = 0; i < width * height; i++)
        {
            var g = (byte)Math.Clamp(MathF.Round((values[i] - lo) * scale), 0, 255);
            (rgba[4 * i], rgba[(4 * i) + 1], rgba[(4 * i) + 2], rgba[(4 * i) + 3]) = (g, g, g, 255);
        }

        WritePng(path, rgba, width, height);
    }
}
