// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.InteropServices;
using OpenCvSharp;

namespace ConvLive.Capture;

/// <summary>A white picture to draw simple charts on (rectangles, lines, Hershey text, anti-aliased), read out as
/// RGBA for the app's PNG path. Colours are (R, G, B) bytes.</summary>
/// <remarks>Owns its pixels. Not thread safe.</remarks>
public sealed class RasterCanvas(int width, int height) : IDisposable
{
    private readonly Mat _pixels = new(height, width, MatType.CV_8UC3, Scalar.White);

    /// <summary>Width, pixels.</summary>
    public int Width => width;

    /// <summary>Height, pixels.</summary>
    public int Height => height;

    /// <summary>A rectangle from (x0, y0) to (x1, y1); filled when <paramref name="thickness"/> is negative.</summary>
    public void Rectangle(int x0, int y0, int x1, int y1, (byte R, byte G, byte B) colour, int thickness = 1) =>
        Cv2.Rectangle(_pixels, new Point(x0, y0), new Point(x1, y1), Bgr(colour), thickness);

    /// <summary>An anti-aliased line from (x0, y0) to (x1, y1).</summary>
    public void Line(int x0, int y0, int x1, int y1, (byte R, byte G, byte B) colour, int thickness = 1) =>
        Cv2.Line(_pixels, new Point(x0, y0), new Point(x1, y1), Bgr(colour), thickness, LineTypes.AntiAlias);

    /// <summary>Text with its baseline's left end at (x, y).</summary>
    public void Text(string text, int x, int y, double scale, (byte R, byte G, byte B) colour) =>
        Cv2.PutText(_pixels, text, new Point(x, y), HersheyFonts.HersheySimplex, scale, Bgr(colour), 1, LineTypes.AntiAlias);

    /// <summary>The picture as width·height·4 RGBA bytes, rows top to bottom.</summary>
    public byte[] ToRgba()
    {
        using var rgba = new Mat();
        Cv2.CvtColor(_pixels, rgba, ColorConversionCodes.BGR2RGBA);
        var bytes = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        {
            Marshal.Copy(rgba.Ptr(y), bytes, y * width * 4, width * 4);
        }

        return bytes;
    }

    /// <inheritdoc/>
    public void Dispose() => _pixels.Dispose();

    private static Scalar Bgr((byte R, byte G, byte B) c) => new(c.B, c.G, c.R);
}
