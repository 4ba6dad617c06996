// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Capture;

namespace ConvLive.App.Cli;

/// <summary>The model benchmark as a PNG: each engine's median (with min–max whiskers), then ConvLive's slowest layers.</summary>
internal static class BenchChart
{
    public static void Write(string path, string title, IReadOnlyList<BenchResult> results, IReadOnlyList<LayerTime> layers)
    {
        const int width = 1000, left = 200, right = 230, row = 28;
        var top = layers.OrderByDescending(l => l.MedianMs).Take(12).ToList();
        var height = 70 + (results.Count * row) + 50 + (top.Count * row) + 20;
        using var canvas = new RasterCanvas(width, height);
        var c = CultureInfo.InvariantCulture;
        canvas.Text(title, 10, 25, 0.5, Black);
        var y = 50;
        canvas.Text("median ms (line: min..max)", 10, y, 0.45, Grey);
        var max = Math.Max(1e-6, results.Max(r => r.MaxMs));
        var span = width - left - right;
        foreach (var r in results)
        {
            y += row;
            var colour = r.Engine.StartsWith("convlive", StringComparison.Ordinal) ? ConvLiveBar : PeerBar;
            canvas.Rectangle(left, y - 16, left + Math.Max(1, (int)(span * r.MedianMs / max)), y + 2, colour, -1);
            canvas.Line(left + (int)(span * r.MinMs / max), y - 7, left + (int)(span * r.MaxMs / max), y - 7, Black);
            canvas.Text(r.Engine, 10, y, 0.5, Black);
            var ratio = r.RatioToOnnxRuntime is { } q ? string.Create(c, $" ({q:0.00}x ORT)") : string.Empty;
            canvas.Text(string.Create(c, $"{r.MedianMs:0.0} ms{ratio}"), left + (int)(span * r.MedianMs / max) + 6, y, 0.45, Black);
        }

        if (top.Count > 0)
        {
            y += 45;
            canvas.Text("ConvLive's slowest layers (median ms, each timed alone)", 10, y, 0.45, Grey);
            var maxLayer = Math.Max(1e-6, top[0].MedianMs);
            foreach (var l in top)
            {
                y += row;
                canvas.Rectangle(left, y - 16, left + Math.Max(1, (int)(span * l.MedianMs / maxLayer)), y + 2, (60, 170, 60), -1);
                canvas.Text(l.Node.Length > 24 ? l.Node[..24] : l.Node, 10, y, 0.45, Black);
                canvas.Text(string.Create(c, $"{l.MedianMs:0.00} ms {l.Share:P0} {l.Op}"), left + (int)(span * l.MedianMs / maxLayer) + 6, y, 0.45, Black);
            }
        }

        Pictures.WritePng(path, canvas.ToRgba(), width, height);
    }

    private static readonly (byte, byte, byte) Black = (0, 0, 0);
    private static readonly (byte, byte, byte) Grey = (105, 105, 105);
    private static readonly (byte, byte, byte) ConvLiveBar = (30, 120, 200);
    private static readonly (byte, byte, byte) PeerBar = (120, 120, 120);
}
