// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Training;
using ConvLive.Render;

namespace ConvLive.App.Live.ModelPanels;

/// <summary>Capture and training: keys 1–9 capture into a class (held: a burst), Backspace removes the last sample,
/// T trains a head, G then fine-tunes the backbone's last convolution with it, Esc cancels; under the zoomed channel, the sample counts and training state, the loss (blue) and
/// held-out accuracy (green) per epoch.</summary>
internal sealed class TrainingPanel(ModelCanvas canvas, LiveTraining training)
{
    private static readonly Colour LossColour = new(0.3f, 0.5f, 1f, 0.8f);
    private static readonly Colour AccuracyColour = new(0.3f, 0.9f, 0.3f);

    public bool OnKey(KeyPress key)
    {
        if (key.Code is >= (int)Key.D1 and <= (int)Key.D9)
        {
            training.Capture(key.Code - (int)Key.D1); // held down: key repeats capture a burst
            return true;
        }

        switch (key.Key)
        {
            case Key.Backspace:
                training.Post(TrainingCommand.RemoveLast);
                return true;
            case Key.T when !key.IsRepeat:
                training.Post(TrainingCommand.Train);
                return true;
            case Key.G when !key.IsRepeat:
                training.Post(TrainingCommand.FineTune);
                return true;
            case Key.Escape when training.Status.Training:
                training.Post(TrainingCommand.Cancel);
                return true;
            default:
                return false;
        }
    }

    public void Draw()
    {
        if (!canvas.SidePanels)
        {
            return;
        }

        var (display, font, line) = (canvas.Display, canvas.Font, canvas.Line);
        var status = training.Status;
        var x = canvas.Zoom.X;
        var y = canvas.Study.Bottom + line + 6;
        foreach (var text in status.Lines)
        {
            if (y + line > canvas.ThumbTop)
            {
                return;
            }

            display.DrawTextClipped(font, text, x, y, text.StartsWith("head", StringComparison.Ordinal) ? ModelCanvas.Highlight : ModelCanvas.Text, display.Width - x - ModelCanvas.Margin);
            y += line;
        }

        var epochs = status.Loss.Count;
        var chart = new RectF(x, y + 4, display.Width - x - 10, Math.Min(80, canvas.ThumbTop - y - 8));
        if (epochs == 0 || chart.Height < 20)
        {
            return;
        }

        canvas.Frame(chart);
        var maxLoss = 1e-6;
        foreach (var l in status.Loss)
        {
            maxLoss = Math.Max(maxLoss, l);
        }

        var step = chart.Width / Math.Max(epochs, 40);
        for (var e = 0; e < epochs; e++)
        {
            var h = (float)(chart.Height * status.Loss[e] / maxLoss);
            display.FillRect(new RectF(chart.X + (e * step), chart.Bottom - h, Math.Max(1, step - 1), h), LossColour);
            if (!double.IsNaN(status.Accuracy[e]))
            {
                var a = (float)(chart.Height * status.Accuracy[e]);
                display.FillRect(new RectF(chart.X + (e * step), chart.Bottom - a - 1, Math.Max(2, step - 1), 3), AccuracyColour);
            }
        }
    }
}
