// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.InteropServices;
using OpenCvSharp;

namespace ConvLive.Capture;

/// <summary>ASCII glyphs rendered once with OpenCV's Hershey font into an 8-bit coverage atlas (16 a row from ' ').</summary>
public static class HersheyGlyphs
{
    /// <summary>Renders characters 32–126 in cells of <paramref name="cellHeight"/> pixels.</summary>
    /// <returns>The coverage (width·height bytes), the atlas size, the cell width and each glyph's advance.</returns>
    public static (byte[] Coverage, int Width, int Height, int CellWidth, int[] Advances) Render(int cellHeight)
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
        return (bytes, atlas.Width, atlas.Height, cellWidth, advances);
    }
}
