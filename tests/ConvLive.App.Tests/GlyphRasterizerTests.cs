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
}
