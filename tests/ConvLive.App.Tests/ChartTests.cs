// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Training;
using ConvLive.Engine.Training;
using OpenCvSharp;

namespace ConvLive.App.Tests;

/// <summary>train's loss chart, drawn by ScottPlot: the size asked, both series, text on the axes.</summary>
public sealed class ChartTests
{
    [Fact]
    public void TheLossChartHasBothSeriesAndAxisText()
    {
        var history = Enumerable.Range(1, 20).Select(e => new EpochResult(e, 2.0 / e, Math.Min(1, e / 10.0))).ToList();
        var png = LossChart.Render(history, "shapes: 3 classes", 640, 360);

        using var image = Cv2.ImDecode(png, ImreadModes.Color);
        Assert.Equal((640, 360), (image.Width, image.Height));
        int blue = 0, orange = 0, dark = 0, width = image.Width, height = image.Height;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var p = image.At<Vec3b>(y, x); // B, G, R
                blue += p.Item0 > 150 && p.Item2 < 80 ? 1 : 0;   // the loss line (ScottPlot's first colour)
                orange += p.Item2 > 200 && p.Item0 < 80 ? 1 : 0; // the accuracy line (its second)
                dark += p.Item0 < 60 && p.Item1 < 60 && p.Item2 < 60 ? 1 : 0; // text, ticks, frame
            }
        }

        Assert.True(blue > 300, $"{blue} pixels of the loss line");
        Assert.True(orange > 300, $"{orange} pixels of the accuracy line");
        Assert.True(dark > 1000, $"{dark} dark pixels: no axis text or ticks");
    }
}
