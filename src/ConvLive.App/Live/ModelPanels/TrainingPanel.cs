// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Training;
using ConvLive.Render;

namespace ConvLive.App.Live.ModelPanels;

/// <summary>Capture and training: keys 1–9 capture into a class (held: a burst), Backspace removes the last sample,
/// T trains a head, G then fine-tunes the backbone's last convolution with it, Esc cancels; under the zoomed channel, the sample counts and training state, the loss (blue) and
/// held-out accuracy (green) per epoch; when a run ends, its chart (ScottPlot's, the picture <c>train</c> writes) over
/// the layer panel until L hides it.</summary>
/// <remarks>Owns the chart's texture.</remarks>
internal sealed class TrainingPanel(ModelCanvas canvas, LiveTraining training) : IDisposable
{
    private static readonly Colour LossColour = new(0.3f, 0.5f, 1f, 0.8f);
    private static readonly Colour AccuracyColour = new(0.3f, 0.9f, 0.3f);
    private static readonly Colour Shade = new(0.07f, 0.07f, 0.08f);
    private readonly PanelTexture _chart = canvas.Display.CreateTexture(smooth: true);
    private ChartPicture? _chartShown;
    private bool _chartPending;

    /// <summary>Whether the last run's chart shows over the layer panel (it appears when a run ends; L toggles it).</summary>
    public bool ChartOn { get; private set; }

    public void Dispose() => _chart.Dispose();

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
            case Key.L when !key.IsRepeat && training.Status.Chart is not null:
                ChartOn = !ChartOn;
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

        var (display, font, line) = (canvas.Display, canvas.Font.Small, canvas.Font.Small.CellHeight + 2);
        var status = training.Status;
        DrawChart(status.Chart);
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

    /// <summary>A new run's chart is uploaded once (one texture, replaced) and shown; then drawn fitted into the
    /// layer panel, framed, with the key that hides it.</summary>
    private void DrawChart(ChartPicture? chart)
    {
        if (chart is not null && !ReferenceEquals(chart, _chartShown))
        {
            (_chartShown, _chartPending, ChartOn) = (chart, true, true);
        }

        if (_chartShown is not { } shown || !ChartOn)
        {
            return;
        }

        if (_chartPending)
        {
            _chartPending = !_chart.TryUpload(shown.Rgba, shown.Width, shown.Height, PixelLayout.Rgba8);
            if (_chartPending)
            {
                return;
            }
        }

        var display = canvas.Display;
        display.FillRect(canvas.Big, Shade); // the layer's grid under it would show round the chart and under its caption
        var box = canvas.Big.Inset(12).Fit(shown.Width, shown.Height);
        canvas.Outline(box.Inset(-2), ModelCanvas.Border);
        display.DrawTexture(_chart, box);
        display.DrawTextClipped(canvas.Font.Small, "L hides the chart", box.X, box.Bottom + 3, ModelCanvas.Dim, box.Width);
    }
}
