// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Capture;
using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>The display's font: ASCII glyphs rendered once (<see cref="HersheyGlyphs"/>) into the 8-bit atlas a
/// <see cref="FontAtlas"/> draws from.</summary>
internal static class GlyphRasterizer
{
    public static FontAtlas Create(Display display, int cellHeight = 18)
    {
        var (coverage, width, height, cellWidth, advances) = HersheyGlyphs.Render(cellHeight);
        return display.CreateFont(coverage, width, height, cellWidth, cellHeight, advances);
    }
}
