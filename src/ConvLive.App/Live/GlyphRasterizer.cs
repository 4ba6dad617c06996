// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.InteropServices;
using ConvLive.Render;
using OpenCvSharp;

namespace ConvLive.App.Live;

/// <summary>Renders ASCII glyphs once, with OpenCV's Hershey font, into the 8-bit atlas a <see cref="FontAtlas"/> draws from.</summary>
internal static class GlyphRasterizer
{
    public static FontAtlas Create(Display display, int cellHeight = 18)
    {
        const int First = 32, Count = 95, Columns = 16;
        var scale = cellHeight / 34.0;
        var cellWidth = (int)Math.Ceiling(cellHeight * 0.62);
        var rows = (Count + Columns - 1) / Columns;
        using var atlas = new Mat(rows * cellHeight, Columns * cellWidth, MatType.CV_8UC1, Scalar.All(0));
        var advances = new int[Count];
        for (var i = 0; i < Count; i++)
        {
            var text = ((char)(First + i)).ToString();
            var size = Cv2.GetTextSize(text, HersheyFonts.HersheySimplex, scale, 1, out _);
            advances[i] = Math.Max(size.Width + 1, cellHeight / 4);
            var origin = new Point(((i % Columns) * cellWidth) + 1, ((i / Columns) * cellHeight) + (int)(cellHeight * 0.74));
            Cv2.PutText(atlas, text, origin, HersheyFonts.HersheySimplex, scale, Scalar.All(255), 1, LineTypes.AntiAlias);
        }

        var bytes = new byte[atlas.Width * atlas.Height];
        Marshal.Copy(atlas.Data, bytes, 0, bytes.Length);
        return display.CreateFont(bytes, atlas.Width, atlas.Height, cellWidth, cellHeight, advances);
    }
}
