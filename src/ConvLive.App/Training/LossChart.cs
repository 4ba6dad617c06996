// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.IO;
using ConvLive.Engine.Training;
using ScottPlot;

namespace ConvLive.App.Training;

/// <summary>The loss and held-out accuracy per epoch as a PNG drawn by ScottPlot: axes with ticks and labels, a grid,
/// a legend, loss on the left axis and accuracy (%) on the right; written through a temporary file.</summary>
internal static class LossChart
{
    /// <summary>The face the chart's text uses (ScottPlot draws with SkiaSharp, which here loads faces from files).</summary>
    private const string Face = "DejaVu Sans";


    /// <summary>Sets the plot's text to DejaVu Sans (or Segoe UI) loaded from its file, when there is one.</summary>
    public static void UseFace(Plot plot)
    {
        if (FileNames.Face is { } file)
        {
            Fonts.AddFontFile(Face, file);
            plot.Font.Set(Face);
        }
    }

    public static void Write(string path, IReadOnlyList<EpochResult> history, string title, int width = 800, int height = 450) =>
        AtomicFile.WriteAllBytes(path, Render(history, title, width, height));

    /// <summary>The chart as PNG bytes.</summary>
    public static byte[] Render(IReadOnlyList<EpochResult> history, string title, int width = 800, int height = 450) =>
        Plot(history, title).GetImageBytes(width, height, ImageFormat.Png);

    /// <summary>The same chart as width·height·4 RGBA bytes, for a texture in the window.</summary>
    public static ChartPicture RenderRgba(IReadOnlyList<EpochResult> history, string title, int width, int height)
    {
        var plot = Plot(history, title);
        using var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(width, height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul));
        plot.Render(surface.Canvas, width, height);
        var rgba = new byte[width * height * 4];
        using var pixels = surface.PeekPixels();
        pixels.GetPixelSpan().CopyTo(rgba);
        return new ChartPicture(rgba, width, height);
    }

    private static Plot Plot(IReadOnlyList<EpochResult> history, string title)
    {
        var plot = new Plot();
        UseFace(plot);

        var epochs = history.Select(e => (double)e.Epoch).ToArray();
        var loss = plot.Add.Scatter(epochs, history.Select(e => e.Loss).ToArray());
        loss.LegendText = "training loss";
        loss.LineWidth = 2;
        loss.MarkerSize = history.Count > 40 ? 0 : 4;
        var withAccuracy = history.Where(e => !double.IsNaN(e.HeldOutAccuracy)).ToArray();
        if (withAccuracy.Length > 0)
        {
            var accuracy = plot.Add.Scatter(withAccuracy.Select(e => (double)e.Epoch).ToArray(), withAccuracy.Select(e => 100 * e.HeldOutAccuracy).ToArray());
            accuracy.LegendText = "held-out accuracy (%)";
            accuracy.LineWidth = 2;
            accuracy.MarkerSize = loss.MarkerSize;
            accuracy.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "held-out accuracy (%)";
            plot.Axes.SetLimitsY(0, 100, plot.Axes.Right);
        }

        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("loss");
        var finite = history.Select(e => e.Loss).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimitsY(0, Math.Max(1e-6, finite) * 1.05, plot.Axes.Left);
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }
}

/// <summary>A chart drawn for the window: width·height·4 RGBA bytes.</summary>
/// <param name="Rgba">The pixels, rows top down.</param>
/// <param name="Width">Width, pixels.</param>
/// <param name="Height">Height, pixels.</param>
internal sealed record ChartPicture(byte[] Rgba, int Width, int Height);
