// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.App.Training;
using ConvLive.Engine.IO;
using ScottPlot;
using SkiaSharp;

namespace ConvLive.App.Cli;

/// <summary>The model benchmark as a PNG drawn by ScottPlot: each engine's median as a bar (labelled with the range
/// and the ratio to ONNX Runtime), then ConvLive's slowest layers, one chart above the other, with axes and grids.</summary>
internal static class BenchChart
{
    public static void Write(string path, string title, IReadOnlyList<BenchResult> results, IReadOnlyList<LayerTime> layers)
    {
        const int width = 1000;
        var top = layers.OrderByDescending(l => l.MedianMs).Take(12).ToList();
        var c = CultureInfo.InvariantCulture;
        var engines = Bars(
            title,
            "median ms (label: min..max, ratio to ONNX Runtime)",
            results.Select(r => (r.Engine, r.MedianMs, string.Create(c, $"{r.MedianMs:0.0} ms ({r.MinMs:0.0}..{r.MaxMs:0.0}){(r.RatioToOnnxRuntime is { } q ? $", {q:0.00}x ORT" : string.Empty)}"),
                r.Engine.StartsWith("convlive", StringComparison.Ordinal) ? Colors.SteelBlue : Colors.Gray)).ToList());
        var pictures = new List<byte[]> { engines.GetImageBytes(width, 110 + (results.Count * 45), ImageFormat.Png) };
        if (top.Count > 0)
        {
            var slowest = Bars(
                "ConvLive's slowest layers (each timed alone)",
                "median ms",
                top.Select(l => (l.Shown.Length > 28 ? l.Shown[..28] : l.Shown, l.MedianMs, string.Create(c, $"{l.MedianMs:0.00} ms, {l.Share:P0} {l.Op}"), Colors.SeaGreen)).ToList());
            pictures.Add(slowest.GetImageBytes(width, 110 + (top.Count * 32), ImageFormat.Png));
        }

        AtomicFile.WriteAllBytes(path, Stack(pictures));
    }

    /// <summary>A horizontal bar chart, first bar on top, each bar labelled at its end.</summary>
    private static Plot Bars(string title, string axis, IReadOnlyList<(string Name, double Value, string Label, Color Colour)> rows)
    {
        var plot = new Plot();
        LossChart.UseFace(plot);
        var bars = rows.Select((r, i) => new Bar { Position = rows.Count - 1 - i, Value = r.Value, Label = r.Label, FillColor = r.Colour }).ToList();
        var series = plot.Add.Bars(bars);
        series.Horizontal = true;
        series.ValueLabelStyle.FontSize = 13;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            rows.Select((_, i) => (double)(rows.Count - 1 - i)).ToArray(), rows.Select(r => r.Name).ToArray());
        plot.Axes.Margins(left: 0, right: 0.45);
        plot.Title(title);
        plot.XLabel(axis);
        return plot;
    }

    /// <summary>PNGs one above the other on white.</summary>
    private static byte[] Stack(IReadOnlyList<byte[]> pngs)
    {
        var images = pngs.Select(SKBitmap.Decode).ToList();
        try
        {
            using var surface = SKSurface.Create(new SKImageInfo(images.Max(i => i.Width), images.Sum(i => i.Height)));
            surface.Canvas.Clear(SKColors.White);
            var y = 0;
            foreach (var image in images)
            {
                surface.Canvas.DrawBitmap(image, 0, y);
                y += image.Height;
            }

            using var snapshot = surface.Snapshot();
            using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
            return data.ToArray();
        }
        finally
        {
            images.ForEach(i => i.Dispose());
        }
    }
}
