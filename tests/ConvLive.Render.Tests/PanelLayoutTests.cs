// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render.Tests;

public sealed class PanelLayoutTests
{
    [Theory]
    [InlineData(1280, 560)]
    [InlineData(640, 960)]
    [InlineData(300, 200)]
    public void PanelsKeepTheirAspectStayInsideAndDoNotOverlap(int width, int height)
    {
        var panels = PanelLayout.Grid(width, height, 2, 4f / 3f, margin: 12);
        Assert.Equal(2, panels.Length);
        foreach (var p in panels)
        {
            Assert.Equal(4f / 3f, p.Width / p.Height, 3);
            Assert.True(p.X >= 0 && p.Y >= 0 && p.Right <= width && p.Bottom <= height, $"{p} leaves {width}x{height}");
        }

        var (a, b) = (panels[0], panels[1]);
        Assert.True(a.Right <= b.X || a.Bottom <= b.Y, $"{a} overlaps {b}");
    }

    [Fact]
    public void AWideWindowPutsTwoPanelsSideBySideAndATallOneStacksThem()
    {
        var wide = PanelLayout.Grid(1280, 480, 2, 4f / 3f);
        Assert.Equal(wide[0].Y, wide[1].Y);
        var tall = PanelLayout.Grid(480, 1280, 2, 4f / 3f);
        Assert.Equal(tall[0].X, tall[1].X);
    }
}
