// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Live;

namespace ConvLive.App.Tests;

/// <summary>The window's text: a TrueType face, antialiased, each glyph its own width.</summary>
public sealed class GlyphRasterizerTests
{
    [SkippableFact]
    public void DejaVuSansIsRasterisedAntialiasedWithProportionalAdvances()
    {
        Skip.IfNot(File.Exists("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), "fonts-dejavu-core is not installed (./convlive and ./test.sh install it)");
        var glyphs = GlyphRasterizer.TryTrueType(18, out var face);

        Assert.NotNull(glyphs);
        Assert.Equal("DejaVu Sans", face);
        var (coverage, width, height, cellWidth, advances) = glyphs.Value;
        Assert.Equal(width * height, coverage.Length);
        Assert.Equal(16 * cellWidth, width);
        Assert.Equal(6 * 18, height);
        var (partial, full) = (coverage.Count(c => c is > 0 and < 255), coverage.Count(c => c == 255));
        Assert.True(partial > full / 2, $"edges are not antialiased: {partial} partial pixels, {full} full");
        int Advance(char c) => advances[c - 32];
        Assert.True(Advance('i') < Advance('m') && Advance('l') < Advance('W'), $"advances are not proportional: i {Advance('i')}, m {Advance('m')}, l {Advance('l')}, W {Advance('W')}");
        Assert.All(advances, a => Assert.InRange(a, 1, cellWidth));
    }

    [SkippableFact]
    public void TheAtlasHoldsTwoSizesAndTheSmallOneDrawsSmaller()
    {
        Skip.IfNot(File.Exists("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), "fonts-dejavu-core is not installed (./convlive and ./test.sh install it)");
        using var display = Render.Display.CreateHeadless(200, 60);
        using var font = GlyphRasterizer.Create(display);

        Assert.Equal(GlyphRasterizer.RegularHeight, font.CellHeight);
        Assert.Equal(GlyphRasterizer.SmallHeight, font.Small.CellHeight);
        Assert.True(font.Small.Measure("conv1 Wg") < font.Measure("conv1 Wg"));
        var regular = InkBox(display, font);
        var small = InkBox(display, font.Small);
        Assert.True(small.Height < regular.Height && small.Width < regular.Width, $"small text {small} is not smaller than regular {regular}");
        Assert.True(small.Height >= 8, $"small text is {small.Height} px high: unreadable");
    }

    /// <summary>The box round the lit pixels of "conv1 Wg" drawn in white at (4, 4).</summary>
    private static (int Width, int Height) InkBox(Render.Display display, Render.FontAtlas font)
    {
        display.BeginFrame(new Render.Colour(0, 0, 0));
        display.DrawText(font, "conv1 Wg", 4, 4, new Render.Colour(1, 1, 1));
        var rgba = new byte[display.Width * display.Height * 4];
        display.ReadPixels(rgba);
        display.EndFrame();
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1;
        for (var y = 0; y < display.Height; y++)
        {
            for (var x = 0; x < display.Width; x++)
            {
                if (rgba[((y * display.Width) + x) * 4] > 96)
                {
                    (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y));
                }
            }
        }

        Assert.True(x1 >= 0, "no text was drawn");
        return (x1 - x0 + 1, y1 - y0 + 1);
    }
}
