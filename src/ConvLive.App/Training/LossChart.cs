// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Capture;
using ConvLive.Engine.Training;

namespace ConvLive.App.Training;

/// <summary>The loss curve and held-out accuracy per epoch as a PNG (drawn on a <see cref="RasterCanvas"/>; written through the one PNG path).</summary>
internal static class LossChart
{
    public static void Write(string path, IReadOnlyList<EpochResult> history, string title)
    {
        const int width = 800, height = 450, left = 70, right = 70, top = 50, bottom = 50;
        using var canvas = new RasterCanvas(width, height);
        int x0 = left, x1 = width - right, y0 = height - bottom, y1 = top;
        canvas.Rectangle(x0, y1, x1, y0, Black);
        canvas.Text(title, left, 30, 0.6, Black);
        var maxLoss = Math.Max(1e-6, history.Count == 0 ? 1 : history.Max(e => e.Loss));
        var epochs = Math.Max(1, history.Count);
        (int X, int Y) At(int i, double v, double max) => (
            x0 + (int)Math.Round((x1 - x0) * (epochs == 1 ? 0.5 : i / (double)(epochs - 1))),
            y0 - (int)Math.Round((y0 - y1) * Math.Clamp(v / max, 0, 1)));

        (byte, byte, byte) loss = (0, 80, 200), accuracy = (40, 160, 40); // blue, green
        for (var i = 1; i < history.Count; i++)
        {
            Line(canvas, At(i - 1, history[i - 1].Loss, maxLoss), At(i, history[i].Loss, maxLoss), loss);
            if (!double.IsNaN(history[i].HeldOutAccuracy) && !double.IsNaN(history[i - 1].HeldOutAccuracy))
            {
                Line(canvas, At(i - 1, history[i - 1].HeldOutAccuracy, 1), At(i, history[i].HeldOutAccuracy, 1), accuracy);
            }
        }

        string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        canvas.Text(F(maxLoss), 5, y1 + 5, 0.45, loss);
        canvas.Text("0", left - 20, y0, 0.45, Black);
        canvas.Text("100%", x1 + 5, y1 + 5, 0.45, accuracy);
        canvas.Text("loss", 5, y1 + 25, 0.45, loss);
        canvas.Text("held-out", x1 + 5, y1 + 25, 0.45, accuracy);
        canvas.Text($"epoch 1..{epochs}", (x0 + x1) / 2 - 40, height - 15, 0.5, Black);
        Pictures.WritePng(path, canvas.ToRgba(), width, height);
    }

    private static readonly (byte, byte, byte) Black = (0, 0, 0);

    private static void Line(RasterCanvas canvas, (int X, int Y) a, (int X, int Y) b, (byte, byte, byte) colour) => canvas.Line(a.X, a.Y, b.X, b.Y, colour, 2);
}
