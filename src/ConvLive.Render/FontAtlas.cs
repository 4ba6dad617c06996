// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render;

/// <summary>A font: glyphs rendered once into one 8-bit texture, 16 to a row, with per-glyph advances.</summary>
/// <remarks>Owns its texture.</remarks>
public sealed class FontAtlas : IDisposable
{
    private readonly (RectF Uv, float Advance)[] _glyphs;
    private readonly char _first;

    internal FontAtlas(PanelTexture texture, int width, int height, int cellWidth, int cellHeight, int[] advances, char first)
    {
        Texture = texture;
        CellWidth = cellWidth;
        CellHeight = cellHeight;
        _first = first;
        _glyphs = new (RectF, float)[advances.Length];
        for (var i = 0; i < advances.Length; i++)
        {
            float x = (i % 16) * cellWidth, y = (i / 16) * cellHeight;
            _glyphs[i] = (new RectF(x / width, y / height, (float)cellWidth / width, (float)cellHeight / height), advances[i]);
        }
    }

    /// <summary>Glyph cell width, pixels.</summary>
    public int CellWidth { get; }

    /// <summary>Line height, pixels.</summary>
    public int CellHeight { get; }

    internal PanelTexture Texture { get; }

    /// <summary>The width of <paramref name="text"/> at <paramref name="scale"/>, pixels.</summary>
    /// <param name="text">The text.</param>
    /// <param name="scale">Glyph scale.</param>
    /// <returns>Its width.</returns>
    public float Measure(ReadOnlySpan<char> text, float scale = 1f)
    {
        var width = 0f;
        foreach (var ch in text)
        {
            width += Glyph(ch).Advance * scale;
        }

        return width;
    }

    /// <inheritdoc/>
    public void Dispose() => Texture.Dispose();

    internal (RectF Uv, float Advance) Glyph(char ch)
    {
        var i = ch - _first;
        return i >= 0 && i < _glyphs.Length ? _glyphs[i] : _glyphs['?' - _first];
    }
}
