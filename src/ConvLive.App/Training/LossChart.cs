// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Engine.IO;
using ConvLive.Engine.Training;
using OpenCvSharp;

namespace ConvLive.App.Training;

/// <summary>The loss curve and held-out accuracy per epoch as a PNG (drawn with OpenCV; written atomically).</summary>
internal static class LossChart
{
    public static void Write(string path, IReadOnlyList<EpochResult> history, string title)
    {
        const int width = 800, height = 450, left = 70, right = 70, top = 50, bottom = 50;
        using var canvas = new Mat(height, width, MatType.CV_8UC3, Scalar.White);
        int x0 = left, x1 = width - right, y0 = height - bottom, y1 = top;
        Cv2.Rectangle(canvas, new Point(x0, y1), new Point(x1, y0), Scalar.Black, 1);
        Cv2.PutText(canvas, title, new Point(left, 30), HersheyFonts.HersheySimplex, 0.6, Scalar.Black, 1, LineTypes.AntiAlias);
        var maxLoss = Math.Max(1e-6, history.Count == 0 ? 1 : history.Max(e => e.Loss));
        var epochs = Math.Max(1, history.Count);
        Point At(int i, double v, double max) => new(
            x0 + (int)Math.Round((x1 - x0) * (epochs == 1 ? 0.5 : i / (double)(epochs - 1))),
            y0 - (int)Math.Round((y0 - y1) * Math.Clamp(v / max, 0, 1)));

        var loss = new Scalar(200, 80, 0);      // blue (BGR)
        var accuracy = new Scalar(40, 160, 40); // green
        for (var i = 1; i < history.Count; i++)
        {
            Cv2.Line(canvas, At(i - 1, history[i - 1].Loss, maxLoss), At(i, history[i].Loss, maxLoss), loss, 2, LineTypes.AntiAlias);
            if (!double.IsNaN(history[i].HeldOutAccuracy) && !double.IsNaN(history[i - 1].HeldOutAccuracy))
            {
                Cv2.Line(canvas, At(i - 1, history[i - 1].HeldOutAccuracy, 1), At(i, history[i].HeldOutAccuracy, 1), accuracy, 2, LineTypes.AntiAlias);
            }
        }

        string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        Cv2.PutText(canvas, F(maxLoss), new Point(5, y1 + 5), HersheyFonts.HersheySimplex, 0.45, loss, 1, LineTypes.AntiAlias);
        Cv2.PutText(canvas, "0", new Point(left - 20, y0), HersheyFonts.HersheySimplex, 0.45, Scalar.Black, 1, LineTypes.AntiAlias);
        Cv2.PutText(canvas, "100%", new Point(x1 + 5, y1 + 5), HersheyFonts.HersheySimplex, 0.45, accuracy, 1, LineTypes.AntiAlias);
        Cv2.PutText(canvas, "loss", new Point(5, y1 + 25), HersheyFonts.HersheySimplex, 0.45, loss, 1, LineTypes.AntiAlias);
        Cv2.PutText(canvas, "held-out", new Point(x1 + 5, y1 + 25), HersheyFonts.HersheySimplex, 0.45, accuracy, 1, LineTypes.AntiAlias);
        Cv2.PutText(canvas, $"epoch 1..{epochs}", new Point((x0 + x1) / 2 - 40, height - 15), HersheyFonts.HersheySimplex, 0.5, Scalar.Black, 1, LineTypes.AntiAlias);
        Cv2.ImEncode(".png", canvas, out var png);
        AtomicFile.WriteAllBytes(path, png);
    }
}
