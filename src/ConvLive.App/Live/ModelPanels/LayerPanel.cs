// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Live;
using ConvLive.Render;

namespace ConvLive.App.Live.ModelPanels;

/// <summary>
/// The selected layer large with its channel grid (a click picks a channel) and the selected channel zoomed beside it
/// (a click shows the input pixels that cell sees, its receptive field, outlined over the network input); a fully
/// connected layer shows as bars.
/// </summary>
internal sealed class LayerPanel
{
    private static readonly Colour BarColour = new(0.35f, 0.7f, 1f);
    private readonly ModelCanvas _canvas;
    private readonly Dictionary<string, LayerInfo> _fields = new(StringComparer.Ordinal);
    private (int Layer, int X, int Y, int X0, int Y0, int X1, int Y1)? _receptive;
    private string _title = string.Empty;
    private (int Layer, int Channel) _titleFor = (-1, -1);

    public LayerPanel(ModelCanvas canvas)
    {
        _canvas = canvas;
        var model = canvas.Model;
        try
        {
            // Receptive fields of every layer, for clicks on a zoomed channel: walked from shapes, once.
            var rows = ModelInspector.Inspect(model.Graph, model.Taps[0].Shape[2]);
            for (var i = 0; i < rows.Count; i++)
            {
                _fields[model.Graph.Nodes[i].Outputs[0]] = rows[i];
            }
        }
        catch (ModelException)
        {
            // A graph the inspector cannot walk simply has no receptive-field clicks.
        }
    }

    /// <summary>The unit last clicked in the zoom, when it was in the selected layer; else null.</summary>
    public (int X, int Y)? ClickedCell => _receptive is { } r && r.Layer == _canvas.Layer ? (r.X, r.Y) : null;

    /// <summary>What the last click on the zoomed channel showed (for the stats), or empty.</summary>
    public string ClickInfo { get; private set; } = string.Empty;

    public void Draw(ModelFrameResult result, bool frozen)
    {
        var (display, font, line, big) = (_canvas.Display, _canvas.Font, _canvas.Line, _canvas.Big);
        var selected = _canvas.Selected;
        if (_titleFor != (_canvas.Layer, _canvas.Channel))
        {
            _titleFor = (_canvas.Layer, _canvas.Channel);
            var count = _canvas.Model.Taps.Count - 1;
            _title = selected.IsVector
                ? $"{_canvas.Titles[_canvas.Layer]}  ({_canvas.Layer}/{count}, Left/Right to change)"
                : string.Create(CultureInfo.InvariantCulture, $"{_canvas.Titles[_canvas.Layer]}  channel {_canvas.Channel}  ({_canvas.Layer}/{count}, Left/Right layer, click a channel)");
        }

        display.DrawTextClipped(font, _title, big.X, big.Y - line, ModelCanvas.Text, _canvas.Zoom.Right - big.X);
        _canvas.Frame(big);
        if (selected.IsVector)
        {
            DrawBars(result, selected, big);
        }
        else
        {
            var block = selected.Layout;
            var fit = big.Fit(block.Width, block.Height);
            display.DrawMapped(_canvas.Atlas, _canvas.Lut, fit, _canvas.BlockUv(block));
            var (cx, cy) = block.TileOrigin(_canvas.Channel);
            var scale = fit.Width / block.Width;
            var tile = new RectF(fit.X + ((cx - block.X) * scale), fit.Y + ((cy - block.Y) * scale), block.TileW * scale, block.TileH * scale);
            _canvas.Outline(tile.Inset(-1), ModelCanvas.Highlight);
            _canvas.Frame(_canvas.Zoom);
            var zoom = _canvas.Zoom.Fit(block.TileW, block.TileH);
            display.DrawMapped(_canvas.Atlas, _canvas.Lut, zoom, _canvas.TileUv(selected, _canvas.Channel).Uv);
            display.DrawText(font.Small, Colormaps.Names[_canvas.Colormap], _canvas.Zoom.X, _canvas.Zoom.Bottom + 2, ModelCanvas.Dim);
        }

        DrawReceptiveField();
        if (frozen)
        {
            display.DrawText(font, "FROZEN (F)", big.Right - font.Measure("FROZEN (F)"), big.Y - line, ModelCanvas.Highlight);
        }
    }

    /// <summary>A click on the channel grid (picks the channel) or the zoom (shows a receptive field).</summary>
    public bool OnClick(MouseClick click)
    {
        var tap = _canvas.Selected;
        if (!tap.IsVector && _canvas.Zoom.Contains(click.X, click.Y))
        {
            return ClickZoom(tap, click);
        }

        if (tap.IsVector || !_canvas.Big.Contains(click.X, click.Y))
        {
            return false;
        }

        var block = tap.Layout;
        var fit = _canvas.Big.Fit(block.Width, block.Height);
        var scale = fit.Width / block.Width;
        var col = (int)((click.X - fit.X) / scale / (block.TileW + block.Gap));
        var row = (int)((click.Y - fit.Y) / scale / (block.TileH + block.Gap));
        var channel = (row * block.Columns) + col;
        if (click.X < fit.X || click.Y < fit.Y || col >= block.Columns || channel >= block.Channels)
        {
            return false;
        }

        _canvas.Channel = channel;
        return true;
    }

    /// <summary>One bar per group of neurons (their largest activation), so thousands of neurons fit any width.</summary>
    private void DrawBars(ModelFrameResult result, TapInfo tap, RectF rect)
    {
        var l = tap.Layout;
        var neurons = tap.Shape.Length;
        var bars = Math.Max(1, Math.Min(neurons, (int)(rect.Width / 2)));
        var barWidth = rect.Width / bars;
        for (var b = 0; b < bars; b++)
        {
            int first = (int)((long)neurons * b / bars), last = (int)((long)neurons * (b + 1) / bars);
            var peak = 0;
            for (var i = first; i < Math.Max(last, first + 1); i++)
            {
                peak = Math.Max(peak, result.Atlas[((l.Y + (i / l.TileW)) * l.AtlasWidth) + l.X + (i % l.TileW)]);
            }

            var height = rect.Height * peak / 255f;
            _canvas.Display.FillRect(new RectF(rect.X + (b * barWidth), rect.Bottom - height, Math.Max(1, barWidth - 1), height), BarColour);
        }
    }

    /// <summary>A click on the zoomed channel: the input pixels that cell of the layer sees.</summary>
    private bool ClickZoom(TapInfo tap, MouseClick click)
    {
        var block = tap.Layout;
        var zoom = _canvas.Zoom.Fit(block.TileW, block.TileH);
        if (!zoom.Contains(click.X, click.Y) || !_fields.TryGetValue(tap.Name, out var info) || info.ReceptiveField == 0)
        {
            return false;
        }

        int h = tap.Shape[2], w = tap.Shape[3], size = _canvas.Model.Taps[0].Shape[2];
        var x = Math.Clamp((int)((click.X - zoom.X) / zoom.Width * w), 0, w - 1);
        var y = Math.Clamp((int)((click.Y - zoom.Y) / zoom.Height * h), 0, h - 1);
        var (x0, x1) = info.FieldOf(x);
        var (y0, y1) = info.FieldOf(y);
        _receptive = (_canvas.Layer, x, y, x0, y0, x1, y1);
        ClickInfo = string.Create(CultureInfo.InvariantCulture,
            $"{tap.Label} ({x}, {y}) sees input columns {x0}..{x1}, rows {y0}..{y1}: {info.ReceptiveField}x{info.ReceptiveField} of {size}x{size} (jump {info.Jump})");
        return true;
    }

    /// <summary>The clicked cell outlined in the zoom and its receptive field in the input panel (clipped to it).</summary>
    private void DrawReceptiveField()
    {
        if (_receptive is not { } r || r.Layer != _canvas.Layer || !_canvas.SidePanels)
        {
            return;
        }

        var tap = _canvas.Selected;
        var input = _canvas.Input;
        var size = (float)_canvas.Model.Taps[0].Shape[2];
        float Sx(int v) => input.X + (Math.Clamp(v, 0, size) * input.Width / size);
        float Sy(int v) => input.Y + (Math.Clamp(v, 0, size) * input.Height / size);
        _canvas.Outline(new RectF(Sx(r.X0), Sy(r.Y0), Sx(r.X1 + 1) - Sx(r.X0), Sy(r.Y1 + 1) - Sy(r.Y0)), ModelCanvas.Highlight);
        var zoom = _canvas.Zoom.Fit(tap.Layout.TileW, tap.Layout.TileH);
        float cw = zoom.Width / tap.Shape[3], ch = zoom.Height / tap.Shape[2];
        _canvas.Outline(new RectF(zoom.X + (r.X * cw), zoom.Y + (r.Y * ch), Math.Max(cw, 2), Math.Max(ch, 2)), ModelCanvas.Highlight);
        _canvas.Display.DrawTextClipped(_canvas.Font, ClickInfo, _canvas.Big.X, _canvas.ThumbTop - _canvas.Font.CellHeight - 2, ModelCanvas.Highlight, _canvas.Zoom.Right - _canvas.Big.X);
    }
}
