// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.App.Live.ModelPanels;

/// <summary>Rates, latency, device and source, and the current problem if there is one (the lines are made a few
/// times a second by the render loop, not per frame).</summary>
internal sealed class StatusPanel(ModelCanvas canvas)
{
    /// <summary>Draws from <paramref name="y"/> down.</summary>
    public void Draw(StatusText status, float y)
    {
        var (display, font, line, m) = (canvas.Display, canvas.Font, canvas.Line, ModelCanvas.Margin);
        display.DrawTextClipped(font, status.Rates, m, y, ModelCanvas.Text, canvas.Left - (2 * m));
        display.DrawTextClipped(font, status.Latency, m, y + line, ModelCanvas.Text, canvas.Left - (2 * m));
        display.DrawTextClipped(font.Small, status.Device, m, y + (2 * line), ModelCanvas.Dim, canvas.Left - (2 * m));
        display.DrawTextClipped(font.Small, status.Source, m, y + (2 * line) + font.Small.CellHeight + 2, ModelCanvas.Dim, canvas.Left - (2 * m));
        if (status.Problem is { } problem)
        {
            display.DrawTextClipped(font, problem, m, y + (2 * line) + (2 * (font.Small.CellHeight + 2)), ModelCanvas.Highlight, canvas.Left - (2 * m));
        }
    }
}
