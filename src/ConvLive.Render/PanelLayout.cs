// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render;

/// <summary>Splits the framebuffer into equal cells for side-by-side panels. Pure arithmetic; no GL.</summary>
public static class PanelLayout
{
    /// <summary>Places <paramref name="count"/> panels in one row (or more, when the window is tall), with a
    /// caption strip under each, and fits content of the given aspect into each cell.</summary>
    /// <param name="width">Framebuffer width in pixels.</param>
    /// <param name="height">Framebuffer height in pixels.</param>
    /// <param name="count">Number of panels, ≥ 1.</param>
    /// <param name="contentAspect">Content width / height.</param>
    /// <param name="margin">Gap around each panel, pixels.</param>
    /// <param name="captionHeight">Height kept free under each panel for its caption, pixels.</param>
    /// <returns>One content rectangle per panel, in reading order.</returns>
    public static RectF[] Grid(int width, int height, int count, float contentAspect, float margin = 8, float captionHeight = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var best = Array.Empty<RectF>();
        var bestArea = -1f;
        for (var rows = 1; rows <= count; rows++)
        {
            var cols = (count + rows - 1) / rows;
            float cellW = (float)width / cols, cellH = (float)height / rows;
            var cells = new RectF[count];
            for (var i = 0; i < count; i++)
            {
                var cell = new RectF((i % cols) * cellW, (i / cols) * cellH, cellW, cellH).Inset(margin);
                cell = cell with { Height = MathF.Max(0, cell.Height - captionHeight) };
                cells[i] = cell.Fit(contentAspect, 1f);
            }

            var area = cells[0].Width * cells[0].Height;
            if (area > bestArea)
            {
                bestArea = area;
                best = cells;
            }
        }

        return best;
    }
}
