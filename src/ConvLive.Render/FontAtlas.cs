// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render;

/// <summary>Where one size of glyphs lies in a font's atlas: 16 cells a row from <paramref name="Top"/>, each glyph's
/// advance in pixels.</summary>
/// <param name="Top">The first row of pixels of this size's cells.</param>
/// <param name="CellWidth">Glyph cell width, pixels.</param>
/// <param name="CellHeight">Glyph cell height (the line height), pixels.</param>
/// <param name="Advances">Advance of each glyph, pixels.</param>
public readonly record struct GlyphCells(int Top, int CellWidth, int CellHeight, int[] Advances);

/// <summary>A font: glyphs rendered once into one 8-bit texture, 16 to a row, with per-glyph advances; a second,
/// smaller size (<see cref="Small"/>) lies in the same texture, so both draw from one atlas.</summary>
/// <remarks>The regular size owns the texture; <see cref="Small"/> borrows it.</remarks>
public sealed class FontAtlas : IDisposable
{
    private readonly (RectF Uv, float Advance)[] _glyphs;
    private readonly char _first;
    private readonly bool _ownsTexture;

    internal FontAtlas(PanelTexture texture, int width, int height, GlyphCells cells, GlyphCells? small, char first)
        : this(texture, width, height, cells, first, ownsTexture: true)
    {
        Small = small is { } s ? new FontAtlas(texture, width, height, s, first, ownsTexture: false) : this;
    }

    private FontAtlas(PanelTexture texture, int width, int height, GlyphCells cells, char first, bool ownsTexture)
    {
        Texture = texture;
        CellWidth = cells.CellWidth;
        CellHeight = cells.CellHeight;
        _first = first;
        _ownsTexture = ownsTexture;
        Small = this;
        _glyphs = new (RectF, float)[cells.Advances.Length];
        for (var i = 0; i < _glyphs.Length; i++)
        {
            float x = (i % 16) * cells.CellWidth, y = cells.Top + ((i / 16) * cells.CellHeight);
            _glyphs[i] = (new RectF(x / width, y / height, (float)cells.CellWidth / width, (float)cells.CellHeight / height), cells.Advances[i]);
        }
    }

    /// <summary>Glyph cell width, pixels.</summary>
    public int CellWidth { get; }

    /// <summary>Line height, pixels.</summary>
    public int CellHeight { get; }

    /// <summary>The smaller size for captions and labels (this font itself when the atlas holds one size).</summary>
    public FontAtlas Small { get; }

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
    public void Dispose()
    {
        if (_ownsTexture)
        {
            Texture.Dispose();
        }
    }

    internal (RectF Uv, float Advance) Glyph(char ch)
    {
        var i = ch - _first;
        return i >= 0 && i < _glyphs.Length ? _glyphs[i] : _glyphs['?' - _first];
    }
}
