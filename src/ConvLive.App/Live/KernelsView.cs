// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>
/// The lecture's view: the camera frame, the feature map of the current kernel setting (nearest-neighbour, so
/// stride and pooling show as bigger cells), with a shift the difference it makes; under them the setting, the
/// output-size arithmetic with the numbers filled in, parameters and computations, the shift's effect in numbers,
/// and the receptive field of a clicked map cell, outlined in the input. Render thread only.
/// </summary>
internal sealed class KernelsView(Display display, FontAtlas font, KernelControls controls) : ILiveView
{
    private static readonly Colour Border = new(0.22f, 0.22f, 0.25f);
    private static readonly Colour Background = new(0.07f, 0.07f, 0.08f);
    private static readonly Colour Caption = new(0.85f, 0.85f, 0.85f);
    private static readonly Colour Dim = new(0.6f, 0.6f, 0.65f);
    private static readonly Colour Highlight = new(1f, 0.75f, 0.2f);
    private readonly PanelTexture _frame = display.CreateTexture(smooth: true);
    private readonly PanelTexture _map = display.CreateTexture(smooth: false);
    private readonly PanelTexture _diff = display.CreateTexture(smooth: false);
    private readonly List<string> _lines = [];
    private RectF[] _layout = [];
    private (int W, int H, int FW, int FH, int Panels, int Lines) _layoutFor;
    private bool _framePending;
    private bool _mapPending;
    private bool _diffPending;
    private KernelsFrameResult? _last;
    private KernelsResult? _linesFor;
    private (double Feature, double Final) _changeShown = (-1, -1);
    private string _change = string.Empty;
    private (int X, int Y)? _clicked;
    private KernelsResult? _clickedFor;
    private string _receptive = string.Empty;
    private (int X0, int Y0, int X1, int Y1, int FW, int FH, int MW, int MH) _field;

    public int TappedLayers => 0;

    public string ClickInfo => _receptive;

    public (string Layer, string Label, int Channel, string Colormap)? Selection => null;

    public bool TryUpload(FrameResult slot)
    {
        var result = (KernelsFrameResult)slot;
        if (!ReferenceEquals(result, _last))
        {
            (_framePending, _mapPending, _diffPending, _last) = (true, result.MapWidth > 0, result.MapWidth > 0 && result.Kernels?.Settings.Shift > 0, result);
        }

        var f = result.Frame;
        if (_framePending)
        {
            _framePending = !_frame.TryUpload(result.BgraPixels, f.Width, f.Height, PixelLayout.Bgra8);
        }

        var mapBytes = result.MapWidth * result.MapHeight * 4;
        if (_mapPending)
        {
            _mapPending = !_map.TryUpload(result.Rgba.AsSpan(0, mapBytes), result.MapWidth, result.MapHeight, PixelLayout.Rgba8);
        }

        if (_diffPending)
        {
            _diffPending = !_diff.TryUpload(result.DiffRgba.AsSpan(0, mapBytes), result.MapWidth, result.MapHeight, PixelLayout.Rgba8);
        }

        return !_framePending && !_mapPending && !_diffPending;
    }

    public void Draw(FrameResult slot, StatusText status)
    {
        var result = (KernelsFrameResult)slot;
        var info = result.Kernels;
        if (info is null)
        {
            return;
        }

        if (!ReferenceEquals(info, _linesFor))
        {
            Describe(info);
        }

        var panels = info.Settings.Shift > 0 ? 3 : 2;
        var line = font.CellHeight + 2;

        // Text gets at most 40% of the height; in a small window the last lines (help first) are left out.
        var rows = Math.Min(_lines.Count + 2 + KernelControls.Help.Count, (int)(display.Height * 0.4f / line));
        var key = (display.Width, display.Height, Math.Max(result.Frame.Width, 4), Math.Max(result.Frame.Height, 3), panels, rows);
        if (key != _layoutFor)
        {
            _layoutFor = key;
            // Below the rates line at the top; above the text block.
            _layout = PanelLayout.Grid(display.Width, display.Height - ((rows + 2) * line), panels, (float)key.Item3 / key.Item4, margin: 12, captionHeight: line + 4)
                .Select(r => new RectF(r.X, r.Y + line, r.Width, r.Height)).ToArray();
        }

        DrawPanels(result, info, status, panels);
        var y = 0f;
        foreach (var r in _layout)
        {
            y = Math.Max(y, r.Bottom);
        }

        y += line + 8;
        DrawText(result, info, y, y + (rows * line));
        display.DrawText(font, status.Rates, 12, 4, Caption);
        if (status.Problem is { } problem)
        {
            display.DrawText(font, problem, 12, display.Height - font.CellHeight - 4, Highlight);
        }
    }

    /// <summary>The frame, the feature map and the shift's difference, each in its frame, with the clicked cell's
    /// receptive field outlined in the frame and the cell in the maps.</summary>
    private void DrawPanels(KernelsFrameResult result, KernelsResult info, StatusText status, int panels)
    {
        foreach (var r in _layout)
        {
            display.FillRect(r.Inset(-2), Border);
            display.FillRect(r, Background);
        }

        display.DrawTexture(_frame, _layout[0]);
        display.DrawText(font.Small, status.Source, _layout[0].X, _layout[0].Bottom + 4, Dim);
        if (result.MapWidth > 0)
        {
            display.DrawTexture(_map, _layout[1]);
            display.DrawText(font.Small, "feature map (warm +, cool -)", _layout[1].X, _layout[1].Bottom + 4, Dim);
            if (panels == 3)
            {
                display.DrawTexture(_diff, _layout[2]);
                display.DrawText(font.Small, "|shifted - unshifted|", _layout[2].X, _layout[2].Bottom + 4, Dim);
            }
        }

        if (_clicked is { } cell && ReferenceEquals(_clickedFor, info))
        {
            var (frame, r) = (_layout[0], _field);
            Outline(new RectF(frame.X + (r.X0 * frame.Width / r.FW), frame.Y + (r.Y0 * frame.Height / r.FH), (r.X1 - r.X0 + 1) * frame.Width / r.FW, (r.Y1 - r.Y0 + 1) * frame.Height / r.FH), Highlight);
            for (var i = 1; i < panels; i++)
            {
                var m = _layout[i];
                Outline(new RectF(m.X + (cell.X * m.Width / r.MW), m.Y + (cell.Y * m.Height / r.MH), m.Width / r.MW, m.Height / r.MH), Highlight);
            }
        }
    }

    /// <summary>The arithmetic lines, the shift's change, the clicked cell's field and the keys, from
    /// <paramref name="y"/> down to <paramref name="bottom"/> (the last lines are left out when they do not fit).</summary>
    private void DrawText(KernelsFrameResult result, KernelsResult info, float y, float bottom)
    {
        var line = font.CellHeight + 2;
        foreach (var text in _lines)
        {
            if (y + line > bottom)
            {
                break;
            }

            display.DrawText(font, text, 12, y, text.Contains("WARNING", StringComparison.Ordinal) || text.StartsWith("error", StringComparison.Ordinal) ? Highlight : Caption);
            y += line;
        }

        if (info.Settings.Shift > 0)
        {
            var change = (result.Change.Feature, result.Change.Final);
            if (change != _changeShown)
            {
                // At most a few strings a second: the numbers change with every frame, so round them first.
                var rounded = (Math.Round(change.Feature, 2), Math.Round(change.Final, 2));
                if (rounded != _changeShown)
                {
                    _changeShown = rounded;
                    var f = info.Settings.Filter;
                    _change = f.Pool is null
                        ? string.Create(CultureInfo.InvariantCulture, $"shift {info.Settings.Shift} px: the map moves {info.Settings.Shift}/{f.Stride} cells and changes {rounded.Item1:P0} (add pooling to see it absorb small shifts)")
                        : string.Create(CultureInfo.InvariantCulture, $"shift {info.Settings.Shift} px: the feature map changes {rounded.Item1:P0}, after {f.Pool.Value.ToString().ToLowerInvariant()} pooling {rounded.Item2:P0}");
                }
            }

            if (y + line <= bottom)
            {
                display.DrawText(font, _change, 12, y, Highlight);
                y += line;
            }
        }

        if (_receptive.Length > 0 && ReferenceEquals(_clickedFor, info) && y + line <= bottom)
        {
            display.DrawText(font, _receptive, 12, y, Highlight);
            y += line;
        }

        foreach (var help in KernelControls.Help)
        {
            if (y + line > bottom)
            {
                break;
            }

            display.DrawText(font.Small, help, 12, y, Dim);
            y += font.Small.CellHeight + 2;
        }
    }

    public bool OnKey(KeyPress key) => controls.OnKey(key);

    public bool OnClick(MouseClick click)
    {
        // The map and the difference panel share the map's geometry: a click on either picks a cell.
        var panel = Array.FindIndex(_layout, 1, r => r.Contains(click.X, click.Y));
        if (panel < 1 || _last?.Kernels is not { Arithmetic: { } a } info)
        {
            return false;
        }

        var map = _layout[panel];
        var mx = Math.Clamp((int)((click.X - map.X) / map.Width * a.PooledW), 0, a.PooledW - 1);
        var my = Math.Clamp((int)((click.Y - map.Y) / map.Height * a.PooledH), 0, a.PooledH - 1);
        _clicked = (mx, my);
        _clickedFor = info;
        var f = info.Settings.Filter;
        var k = f.Kernel.Size;

        // Final cell → feature-map cells (through the pooling window) → input pixels (through the kernel).
        var (c0x, c1x, c0y, c1y) = f.Pool is null ? (mx, mx, my, my) : (mx * f.PoolStride, (mx * f.PoolStride) + f.PoolSize - 1, my * f.PoolStride, (my * f.PoolStride) + f.PoolSize - 1);
        int x0 = (c0x * f.Stride) - f.Padding, x1 = (c1x * f.Stride) - f.Padding + k - 1;
        int y0 = (c0y * f.Stride) - f.Padding, y1 = (c1y * f.Stride) - f.Padding + k - 1;
        _field = (x0, y0, x1, y1, _last.Frame.Width, _last.Frame.Height, a.PooledW, a.PooledH);
        _receptive = string.Create(CultureInfo.InvariantCulture,
            $"cell ({mx}, {my}) sees input columns {x0}..{x1}, rows {y0}..{y1}: {x1 - x0 + 1}x{y1 - y0 + 1} of {_field.FW}x{_field.FH} pixels (sparse interactions), through {k * k} shared weights");
        return true;
    }

    public void Dispose()
    {
        _frame.Dispose();
        _map.Dispose();
        _diff.Dispose();
    }

    private void Describe(KernelsResult info)
    {
        _linesFor = info;
        _lines.Clear();
        _lines.Add(KernelControls.Describe(info.Settings));
        if (info.Arithmetic is { } a)
        {
            _lines.AddRange(a.Lines);
        }
        else
        {
            _lines.Add($"error: {info.Error}");
        }

        _changeShown = (-1, -1);
    }

    private void Outline(RectF r, Colour c)
    {
        display.FillRect(new RectF(r.X - 1, r.Y - 1, r.Width + 2, 2), c);
        display.FillRect(new RectF(r.X - 1, r.Bottom - 1, r.Width + 2, 2), c);
        display.FillRect(new RectF(r.X - 1, r.Y - 1, 2, r.Height + 2), c);
        display.FillRect(new RectF(r.Right - 1, r.Y - 1, 2, r.Height + 2), c);
    }
}
