// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Engine.IO;
using OpenCvSharp;

namespace ConvLive.App.Cli;

/// <summary>The model benchmark as a PNG: each engine's median (with min–max whiskers), then ConvLive's slowest layers.</summary>
internal static class BenchChart
{
    public static void Write(string path, string title, IReadOnlyList<BenchResult> results, IReadOnlyList<LayerTime> layers)
    {
        const int width = 1000, left = 200, right = 230, row = 28;
        var top = layers.OrderByDescending(l => l.MedianMs).Take(12).ToList();
        var height = 70 + (results.Count * row) + 50 + (top.Count * row) + 20;
        using var canvas = new Mat(height, width, MatType.CV_8UC3, Scalar.White);
        var c = CultureInfo.InvariantCulture;
        Cv2.PutText(canvas, title, new Point(10, 25), HersheyFonts.HersheySimplex, 0.5, Scalar.Black, 1, LineTypes.AntiAlias);
        var y = 50;
        Cv2.PutText(canvas, "median ms (line: min..max)", new Point(10, y), HersheyFonts.HersheySimplex, 0.45, Scalar.DimGray, 1, LineTypes.AntiAlias);
        var max = Math.Max(1e-6, results.Max(r => r.MaxMs));
        var span = width - left - right;
        foreach (var r in results)
        {
            y += row;
            var colour = r.Engine.StartsWith("convlive", StringComparison.Ordinal) ? new Scalar(200, 120, 30) : new Scalar(120, 120, 120);
            Cv2.Rectangle(canvas, new Rect(left, y - 16, Math.Max(1, (int)(span * r.MedianMs / max)), 18), colour, -1);
            Cv2.Line(canvas, new Point(left + (int)(span * r.MinMs / max), y - 7), new Point(left + (int)(span * r.MaxMs / max), y - 7), Scalar.Black, 1);
            Cv2.PutText(canvas, r.Engine, new Point(10, y), HersheyFonts.HersheySimplex, 0.5, Scalar.Black, 1, LineTypes.AntiAlias);
            var ratio = r.RatioToOnnxRuntime is { } q ? string.Create(c, $" ({q:0.00}x ORT)") : string.Empty;
            Cv2.PutText(canvas, string.Create(c, $"{r.MedianMs:0.0} ms{ratio}"), new Point(left + (int)(span * r.MedianMs / max) + 6, y), HersheyFonts.HersheySimplex, 0.45, Scalar.Black, 1, LineTypes.AntiAlias);
        }

        if (top.Count > 0)
        {
            y += 45;
            Cv2.PutText(canvas, "ConvLive's slowest layers (median ms, each timed alone)", new Point(10, y), HersheyFonts.HersheySimplex, 0.45, Scalar.DimGray, 1, LineTypes.AntiAlias);
            var maxLayer = Math.Max(1e-6, top[0].MedianMs);
            foreach (var l in top)
            {
                y += row;
                Cv2.Rectangle(canvas, new Rect(left, y - 16, Math.Max(1, (int)(span * l.MedianMs / maxLayer)), 18), new Scalar(60, 170, 60), -1);
                Cv2.PutText(canvas, l.Node.Length > 24 ? l.Node[..24] : l.Node, new Point(10, y), HersheyFonts.HersheySimplex, 0.45, Scalar.Black, 1, LineTypes.AntiAlias);
                Cv2.PutText(canvas, string.Create(c, $"{l.MedianMs:0.00} ms {l.Share:P0} {l.Op}"), new Point(left + (int)(span * l.MedianMs / maxLayer) + 6, y), HersheyFonts.HersheySimplex, 0.45, Scalar.Black, 1, LineTypes.AntiAlias);
            }
        }

        Cv2.ImEncode(".png", canvas, out var png);
        AtomicFile.WriteAllBytes(path, png);
    }
}
