// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Capture;
using ConvLive.Render;
using SkiaSharp;

namespace ConvLive.App.Live;

/// <summary>
/// The display's font: ASCII glyphs rasterised once, antialiased, from a TrueType face (DejaVu Sans from Debian's
/// fonts-dejavu-core, else the system's sans face) with SkiaSharp into the 8-bit atlas a <see cref="FontAtlas"/>
/// draws from, with each glyph's own advance; OpenCV's Hershey stroke font only when no face can be had.
/// </summary>
internal static class GlyphRasterizer
{
    private const int First = 32, Count = 95, Columns = 16;

    /// <summary>What the atlas was made from ("DejaVu Sans", or why the Hershey font was used).</summary>
    public static string Face { get; private set; } = string.Empty;

    /// <summary>The regular line height (titles, figures, the top five), pixels.</summary>
    public const int RegularHeight = 18;

    /// <summary>The small line height (captions, labels under thumbnails, the device and source lines), pixels.</summary>
    public const int SmallHeight = 14;

    /// <summary>Both sizes rasterised into one atlas, the small one under the regular one.</summary>
    public static FontAtlas Create(Display display)
    {
        var regular = TryTrueType(RegularHeight, out var face) ?? HersheyGlyphs.Render(RegularHeight);
        var small = TryTrueType(SmallHeight, out _) ?? HersheyGlyphs.Render(SmallHeight);
        Face = face;
        int width = Math.Max(regular.Width, small.Width), height = regular.Height + small.Height;
        var coverage = new byte[width * height];
        Place(regular.Coverage, regular.Width, regular.Height, 0);
        Place(small.Coverage, small.Width, small.Height, regular.Height);
        return display.CreateFont(coverage, width, height,
            new GlyphCells(0, regular.CellWidth, RegularHeight, regular.Advances),
            new GlyphCells(regular.Height, small.CellWidth, SmallHeight, small.Advances));

        void Place(byte[] block, int w, int h, int top)
        {
            for (var row = 0; row < h; row++)
            {
                block.AsSpan(row * w, w).CopyTo(coverage.AsSpan(((top + row) * width), w));
            }
        }
    }

    /// <summary>Glyphs 32–126 of a TrueType face in cells of <paramref name="cellHeight"/> pixels, 16 a row; null
    /// (with the reason in <paramref name="face"/>) when no face or no Skia native library can be had.</summary>
    internal static (byte[] Coverage, int Width, int Height, int CellWidth, int[] Advances)? TryTrueType(int cellHeight, out string face)
    {
        try
        {
            using var typeface = OpenFace();
            if (typeface is null)
            {
                face = "Hershey (no TrueType face found: install fonts-dejavu-core)";
                return null;
            }

            face = typeface.FamilyName;
            using var font = new SKFont(typeface, cellHeight * 0.72f) { Edging = SKFontEdging.Antialias, Subpixel = true, Hinting = SKFontHinting.Slight };
            var metrics = font.Metrics;
            var baseline = (int)MathF.Round(((cellHeight - (metrics.Descent - metrics.Ascent)) / 2) - metrics.Ascent);
            var advances = new int[Count];
            var widest = 1;
            for (var i = 0; i < Count; i++)
            {
                var text = ((char)(First + i)).ToString();
                advances[i] = Math.Max(1, (int)MathF.Round(font.MeasureText(text)));
                widest = Math.Max(widest, (int)MathF.Ceiling(font.MeasureText(text, out var bounds)) + 2);
                widest = Math.Max(widest, (int)MathF.Ceiling(bounds.Right) + 2);
            }

            var cellWidth = widest;
            int width = Columns * cellWidth, height = ((Count + Columns - 1) / Columns) * cellHeight;
            using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Alpha8, SKAlphaType.Premul));
            using (var canvas = new SKCanvas(bitmap))
            using (var paint = new SKPaint { Color = SKColors.White, IsAntialias = true })
            {
                canvas.Clear(SKColors.Transparent);
                for (var i = 0; i < Count; i++)
                {
                    float x = ((i % Columns) * cellWidth) + 1, y = ((i / Columns) * cellHeight) + baseline;
                    canvas.Save();
                    canvas.ClipRect(new SKRect((i % Columns) * cellWidth, (i / Columns) * cellHeight, ((i % Columns) + 1) * cellWidth, ((i / Columns) + 1) * cellHeight));
                    canvas.DrawText(((char)(First + i)).ToString(), x, y, font, paint);
                    canvas.Restore();
                }
            }

            var coverage = new byte[width * height];
            var pixels = bitmap.GetPixelSpan();
            for (var row = 0; row < height; row++)
            {
                pixels.Slice(row * bitmap.RowBytes, width).CopyTo(coverage.AsSpan(row * width, width));
            }

            return (coverage, width, height, cellWidth, advances);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or BadImageFormatException)
        {
            face = $"Hershey (SkiaSharp's native library did not load: {e.Message})";
            return null;
        }
    }

    private static SKTypeface? OpenFace()
    {
        if (FileNames.Face is { } file && SKTypeface.FromFile(file) is { } typeface)
        {
            return typeface;
        }

        var fallback = SKFontManager.Default.MatchFamily("DejaVu Sans") ?? SKFontManager.Default.MatchFamily("Segoe UI") ?? SKFontManager.Default.MatchFamily(null);
        return fallback is { GlyphCount: > 0 } ? fallback : null;
    }
}
