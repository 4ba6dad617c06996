// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Render;

namespace ConvLive.App.Live.ModelPanels;

/// <summary>The camera frame and, under it, the network input as the network sees it (cropped, resized, normalised);
/// an explanation's heat over both (over the frame, on the crop the network takes).</summary>
/// <remarks>Owns the frame texture.</remarks>
internal sealed class CameraPanel(ModelCanvas canvas) : IDisposable
{
    private readonly PanelTexture _frame = canvas.Display.CreateTexture(smooth: true);
    private readonly PanelTexture _heat = canvas.Display.CreateTexture(smooth: true);
    private readonly PanelTexture _heatLut = canvas.Display.CreateLut(Colormaps.Table("inferno"));
    private bool _heatShown;

    /// <summary>Uploads the frame and its explanation's heat (within the display's per-frame budget); true when done.</summary>
    public bool TryUpload(ModelFrameResult result)
    {
        _heatShown = result.HeatWidth > 0;
        var heatDone = !_heatShown || _heat.TryUpload(result.Heat.AsSpan(0, result.HeatWidth * result.HeatHeight), result.HeatWidth, result.HeatHeight, PixelLayout.Grey8);
        return _frame.TryUpload(result.BgraPixels, result.Frame.Width, result.Frame.Height, PixelLayout.Bgra8) && heatDone;
    }

    /// <summary>Draws both panels at the top of the left column, the explanation (<paramref name="explain"/>, when
    /// one is switched on) as heat over the network input; returns the y under them.</summary>
    public float Draw(ModelFrameResult result, string? explain, string? explainFailure = null)
    {
        var (display, font, line, m) = (canvas.Display, canvas.Font, canvas.Line, ModelCanvas.Margin);
        var cameraBox = new RectF(m, m + line, canvas.Left - (2 * m), (display.Height * 0.3f) - line);
        var camera = cameraBox.Fit(Math.Max(result.Frame.Width, 1), Math.Max(result.Frame.Height, 1));
        canvas.Frame(camera);
        display.DrawTexture(_frame, camera);
        display.DrawText(font.Small, "camera", camera.X, camera.Y - font.Small.CellHeight - 2, ModelCanvas.Dim);
        var explained = _heatShown && explain is not null && explain != "none";
        if (explained && result.Frame.Width > 0)
        {
            // The same heat over the part of the camera frame the network sees (its centre crop).
            var g = canvas.Model.Geometry(result.Frame.Width, result.Frame.Height);
            float sx = camera.Width / result.Frame.Width, sy = camera.Height / result.Frame.Height;
            display.DrawMapped(_heat, _heatLut, new RectF(camera.X + (g.CropX * sx), camera.Y + (g.CropY * sy), g.CropSide * sx, g.CropSide * sy), new RectF(0, 0, 1, 1), 0.6f);
        }

        var side = Math.Min(canvas.Left - (2 * m), display.Height * 0.3f);
        var input = new RectF(m, cameraBox.Bottom + m + line, side, side);
        canvas.Input = input;
        canvas.Frame(input);
        canvas.DrawInput(input);
        var title = canvas.Titles[0];
        if (explained)
        {
            display.DrawMapped(_heat, _heatLut, input, new RectF(0, 0, 1, 1), 0.6f);
            title = explain;
        }

        display.DrawTextClipped(font, title, input.X, input.Y - line, ModelCanvas.Dim, canvas.Left - (2 * m));
        if (explainFailure is not null)
        {
            display.DrawText(font, explainFailure, input.X, input.Bottom + 2, ModelCanvas.Highlight);
        }
        return input.Bottom + m;
    }

    public void Dispose()
    {
        _frame.Dispose();
        _heat.Dispose();
        _heatLut.Dispose();
    }
}
