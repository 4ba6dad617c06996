// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Render;

namespace ConvLive.App.Live.ModelPanels;

/// <summary>The keys, over the selected layer while H is on; otherwise a reminder in the corner.</summary>
internal sealed class HelpPanel(ModelCanvas canvas)
{
    private static readonly string[] Lines =
    [
        "Left/Right  previous/next layer        Up/Down  channel",
        "click       a thumbnail: that layer;   a tile: that channel",
        "M           colormap (viridis, inferno, grey)",
        "F/Space     freeze the frame           S  screenshot (PNG)   R  record (MP4)",
        "Tab         next source                P  side panels",
        "1-9         capture into class k (hold: burst)",
        "Backspace   remove last sample         T  train a head       V  map of the samples",
        "L           the last training run's loss and accuracy chart: hide / show",
        "G           fine-tune the backbone's last convolution with the head (after T)",
        "E           why: gradient, guided, deconv, Grad-CAM of the top class, off",
        "U           explain the selected channel instead (backprop from a unit)",
        "            (after a click in the zoom: that one unit; a click moves it)",
        "click       a top-5 line: explain that class (again: the top class)",
        "X/N         top-9 frames of the selected layer: clear / save (grid per channel)",
        "W           what the selected unit (or class) wants: draw / stop    I  save it",
        "H           this help                  Esc  cancel training / quit",
    ];

    private Engine.Live.TapInfo? _onnxFor;
    private string _onnxLine = string.Empty;

    public bool Shown { get; set; }

    public void Draw()
    {
        var (display, font, line) = (canvas.Display, canvas.Font, canvas.Line);
        if (!Shown)
        {
            display.DrawText(font.Small, "H help", display.Width - font.Small.Measure("H help") - ModelCanvas.Margin, display.Height - font.Small.CellHeight - 2, ModelCanvas.Dim);
            return;
        }

        var big = canvas.Big;
        var box = new RectF(big.X + 20, big.Y + 20, Math.Min(big.Width - 40, font.Measure(Lines[0]) + 40), ((Lines.Length + 1) * line) + 30);
        display.FillRect(box, new Colour(0, 0, 0, 0.85f));
        for (var i = 0; i < Lines.Length; i++)
        {
            display.DrawText(font, Lines[i], box.X + 20, box.Y + 15 + (i * line), ModelCanvas.Text);
        }

        // The selected layer's ONNX value (what --select, --wants, explain --unit and the stats also take).
        var tap = canvas.Selected;
        if (!ReferenceEquals(tap, _onnxFor))
        {
            (_onnxFor, _onnxLine) = (tap, $"selected: {tap.Label} = ONNX value '{tap.Name}' ({tap.Op})");
        }

        display.DrawText(font, _onnxLine, box.X + 20, box.Y + 15 + (Lines.Length * line), ModelCanvas.Highlight);
    }
}
