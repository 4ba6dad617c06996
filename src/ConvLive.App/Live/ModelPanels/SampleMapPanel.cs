// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Training;
using ConvLive.Render;

namespace ConvLive.App.Live.ModelPanels;

/// <summary>
/// The live map of the captured samples, in place of the zoomed channel while V is on: one dot per sample, coloured
/// by its class key (the colours of the legend), a red ring around the samples the trained head gets wrong, and the
/// camera's frame as a white cross moving among them (pinned to the edge when it falls outside).
/// </summary>
internal sealed class SampleMapPanel(ModelCanvas canvas, LiveSampleMap map, IReadOnlyList<string> classes)
{
    /// <summary>Class colours, keys 1–9.</summary>
    public static readonly Colour[] Palette =
    [
        new(0.30f, 0.60f, 1.00f), new(1.00f, 0.55f, 0.20f), new(0.35f, 0.85f, 0.35f),
        new(0.90f, 0.35f, 0.85f), new(0.95f, 0.90f, 0.30f), new(0.30f, 0.90f, 0.90f),
        new(0.70f, 0.50f, 0.30f), new(0.60f, 0.60f, 0.95f), new(0.95f, 0.60f, 0.70f),
    ];

    private static readonly Colour Wrong = new(1f, 0.2f, 0.2f);
    private static readonly Colour Cursor = new(1f, 1f, 1f);
    private static readonly Colour Background = new(0.08f, 0.08f, 0.1f);

    public bool OnKey(KeyPress key)
    {
        if (key.Key != Key.V || key.IsRepeat)
        {
            return false;
        }

        map.Shown = !map.Shown;
        return true;
    }

    public void Draw(ModelFrameResult result)
    {
        if (!map.Shown || !canvas.SidePanels)
        {
            return;
        }

        var (display, font, line) = (canvas.Display, canvas.Font, canvas.Line);
        var r = canvas.Zoom;
        display.FillRect(r, Background);
        canvas.Frame(r);
        if (map.Picture is not { } picture)
        {
            display.DrawTextClipped(font, "map: capture 2+ samples (1-9)", r.X + 4, r.Y + 4, ModelCanvas.Dim, r.Width - 8);
            return;
        }

        // Scale the samples' extent (and a margin) into the panel, the same scale on both axes.
        var inner = r.Inset(12);
        var spanX = Math.Max(picture.MaxX - picture.MinX, 1e-6f);
        var spanY = Math.Max(picture.MaxY - picture.MinY, 1e-6f);
        var scale = Math.Min(inner.Width / spanX, inner.Height / spanY);
        var cx = (picture.MinX + picture.MaxX) / 2;
        var cy = (picture.MinY + picture.MaxY) / 2;
        (float X, float Y) Place(float x, float y) =>
            (Math.Clamp(inner.X + (inner.Width / 2) + ((x - cx) * scale), inner.X, inner.Right),
             Math.Clamp(inner.Y + (inner.Height / 2) - ((y - cy) * scale), inner.Y, inner.Bottom));

        for (var i = 0; i < picture.Points.Count; i++) // an index, not foreach: no enumerator a frame
        {
            var p = picture.Points[i];
            var (x, y) = Place(p.X, p.Y);
            if (p.Wrong)
            {
                display.FillRect(new RectF(x - 5, y - 5, 10, 10), Wrong);
            }

            display.FillRect(new RectF(x - 3, y - 3, 6, 6), Palette[p.Key % Palette.Length]);
        }

        if (!float.IsNaN(result.MapX))
        {
            var (x, y) = Place(result.MapX, result.MapY);
            display.FillRect(new RectF(x - 8, y - 1, 17, 3), Cursor);
            display.FillRect(new RectF(x - 1, y - 8, 3, 17), Cursor);
        }

        display.DrawTextClipped(font, picture.Caption, r.X + 4, r.Y + 2, ModelCanvas.Dim, r.Width - 8);
        var legendY = r.Bottom - line - 2;
        var legendX = r.X + 4;
        for (var i = 0; i < picture.Keys.Count; i++)
        {
            var k = picture.Keys[i];
            display.FillRect(new RectF(legendX, legendY + (line / 2) - 3, 6, 6), Palette[k % Palette.Length]);
            legendX += 10;
            var name = k < classes.Count ? classes[k] : string.Empty;
            display.DrawTextClipped(font, name, legendX, legendY, ModelCanvas.Text, r.Right - legendX - 4);
            legendX += font.Measure(name) + 10;
            if (legendX > r.Right - 20)
            {
                break;
            }
        }
    }
}
