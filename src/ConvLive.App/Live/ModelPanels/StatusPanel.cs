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
        display.DrawText(font, status.Rates, m, y, ModelCanvas.Text);
        display.DrawText(font, status.Latency, m, y + line, ModelCanvas.Text);
        display.DrawText(font, status.Device, m, y + (2 * line), ModelCanvas.Dim);
        display.DrawText(font, status.Source, m, y + (3 * line), ModelCanvas.Dim);
        if (status.Problem is { } problem)
        {
            display.DrawText(font, problem, m, y + (4 * line), ModelCanvas.Highlight);
        }
    }
}
