// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render;

/// <summary>Text: glyphs from the font's one atlas, batched into quads.</summary>
public sealed partial class Display
{
    /// <summary>Draws text with a glyph atlas; returns the x where the text ends.</summary>
    /// <param name="font">The font.</param>
    /// <param name="text">ASCII text; other characters show as '?'.</param>
    /// <param name="x">Left, pixels.</param>
    /// <param name="y">Top of the line, pixels.</param>
    /// <param name="colour">The text colour.</param>
    /// <param name="scale">Glyph scale (1 = the atlas's size).</param>
    /// <returns>The x after the last glyph.</returns>
    public float DrawText(FontAtlas font, ReadOnlySpan<char> text, float x, float y, Colour colour, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(font);
        Thread.Ensure();
        _painter.SetBlending(true);
        var end = _glyphs.Draw(font, text, x, y, colour, scale, Width, Height);
        _painter.Rebind();
        _gl.BindVertexArray(0);
        return end;
    }

    /// <summary>Draws <paramref name="text"/> no wider than <paramref name="maxWidth"/>: what does not fit is cut and
    /// ends in "..." (nothing is drawn past a panel; nothing is allocated).</summary>
    /// <param name="font">The font.</param>
    /// <param name="text">ASCII text.</param>
    /// <param name="x">Left, pixels.</param>
    /// <param name="y">Top of the line, pixels.</param>
    /// <param name="colour">The text colour.</param>
    /// <param name="maxWidth">The room, pixels.</param>
    /// <returns>The x after the last glyph.</returns>
    public float DrawTextClipped(FontAtlas font, ReadOnlySpan<char> text, float x, float y, Colour colour, float maxWidth)
    {
        ArgumentNullException.ThrowIfNull(font);
        if (font.Measure(text) <= maxWidth)
        {
            return DrawText(font, text, x, y, colour);
        }

        var room = maxWidth - font.Measure("...");
        if (room < 0)
        {
            return x; // not even "..." fits
        }

        var fits = 0;
        for (var width = 0f; fits < text.Length && (width += font.Measure(text.Slice(fits, 1))) <= room; fits++)
        {
        }

        var end = DrawText(font, text[..fits], x, y, colour);
        return DrawText(font, "...", end, y, colour);
    }
}
