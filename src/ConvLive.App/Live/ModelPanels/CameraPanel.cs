// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Render;

namespace ConvLive.App.Live.ModelPanels;

/// <summary>The camera frame and, under it, the network input as the network sees it (cropped, resized, normalised).</summary>
/// <remarks>Owns the frame texture.</remarks>
internal sealed class CameraPanel(ModelCanvas canvas) : IDisposable
{
    private readonly PanelTexture _frame = canvas.Display.CreateTexture(smooth: true);

    /// <summary>Uploads the frame (within the display's per-frame budget); true when it is done.</summary>
    public bool TryUpload(ModelFrameResult result) =>
        _frame.TryUpload(result.BgraPixels, result.Frame.Width, result.Frame.Height, PixelLayout.Bgra8);

    /// <summary>Draws both panels at the top of the left column; returns the y under them.</summary>
    public float Draw(ModelFrameResult result)
    {
        var (display, font, line, m) = (canvas.Display, canvas.Font, canvas.Line, ModelCanvas.Margin);
        var cameraBox = new RectF(m, m + line, canvas.Left - (2 * m), (display.Height * 0.3f) - line);
        var camera = cameraBox.Fit(Math.Max(result.Frame.Width, 1), Math.Max(result.Frame.Height, 1));
        canvas.Frame(camera);
        display.DrawTexture(_frame, camera);
        display.DrawText(font, "camera", camera.X, camera.Y - line, ModelCanvas.Dim);

        var side = Math.Min(canvas.Left - (2 * m), display.Height * 0.3f);
        var input = new RectF(m, cameraBox.Bottom + m + line, side, side);
        canvas.Input = input;
        canvas.Frame(input);
        canvas.DrawInput(input);
        display.DrawText(font, canvas.Titles[0], input.X, input.Y - line, ModelCanvas.Dim);
        return input.Bottom + m;
    }

    public void Dispose() => _frame.Dispose();
}
