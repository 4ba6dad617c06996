// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Text.Json;
using ConvLive.Tests;
using OpenCvSharp;
using ConvLive.Engine.Models;

namespace ConvLive.App.Tests;

/// <summary>The model view end to end, headless: AlexNet and the default ResNet-18 features, and a source that
/// dies mid-run.</summary>
public sealed class LiveModelViewTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void AnAlexNetRunTapsEveryLayerAndTheScreenshotShowsThePanels()
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 9, width: 0.25), _folder.File("alexnet.onnx"));
        var shot = _folder.File("shot.png");
        var stats = _folder.File("stats.json");

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3),
            "live", "--source", "synthetic", "--model", model, "--device", "cpu", "--headless", "--frames", "40", "--screenshot", shot, "--stats", stats);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var json = JsonDocument.Parse(File.ReadAllText(stats));
        var root = json.RootElement;
        Assert.Equal(13, root.GetProperty("tappedLayers").GetInt32());
        Assert.Equal("alexnet", root.GetProperty("model").GetString());
        Assert.True(root.GetProperty("framesInferred").GetInt64() >= 1);
        foreach (var stage in new[] { "capture", "preprocess", "forward", "pack", "upload", "draw" })
        {
            Assert.Equal(JsonValueKind.Number, root.GetProperty("stageMsP50").GetProperty(stage).ValueKind);
        }

        using var image = Cv2.ImRead(shot, ImreadModes.Color);
        Assert.Equal((1280, 720), (image.Width, image.Height));
        // The camera panel (top left) shows the synthetic scene's white bars; the big layer view and the
        // thumbnails strip are coloured by the colormap, not background.
        Assert.True(Brightest(image, new Rect(30, 30, 260, 190)) > 220, "no camera frame at the top left");
        Assert.True(Colourful(image, new Rect(400, 60, 500, 400)) > 0.5, "the selected layer's view is empty");
        Assert.True(Colourful(image, new Rect(345, 550, 900, 150)) > 0.3, "the layer thumbnails are empty");
    }

    [Fact]
    public void WithoutAlexNetTheResNetFeaturesRunAndTheAppSaysHowToGetAlexNet()
    {
        var stats = _folder.File("stats.json");
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), new Dictionary<string, string> { ["CONVLIVE_MODELS"] = _folder.File("empty-models") }, null,
            "live", "--source", "synthetic", "--device", "cpu", "--headless", "--frames", "10", "--stats", stats);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains("./convlive models get alexnet", output, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(stats));
        Assert.Equal("resnet18-features", json.RootElement.GetProperty("model").GetString());
        Assert.True(json.RootElement.GetProperty("tappedLayers").GetInt32() >= 8);
    }

    [Fact]
    public void ASourceThatFailsMidRunIsReportedAndTheLoopKeepsRunning()
    {
        var dir = Directory.CreateDirectory(_folder.File("frames")).FullName;
        using (var image = new Mat(120, 160, MatType.CV_8UC3, Scalar.All(128)))
        {
            for (var i = 0; i < 3; i++)
            {
                Cv2.ImWrite(Path.Combine(dir, $"f{i}.png"), image);
            }
        }

        // The files go once the app has shown a frame, not after a fixed time: on a busy CI machine the app once took
        // longer than 1.5 s to start, the source never gave a frame, and the loop waited for its first one until the
        // test killed it. Reading a file moves its access time on from an old one (relatime), and the second file is
        // read only after the first was decoded and published. Where access times are not kept (a probe says so),
        // the files go after a fixed 3 s.
        var old = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var probe = _folder.File("atime-probe.txt");
        File.WriteAllText(probe, "probe");
        File.SetLastAccessTimeUtc(probe, old);
        _ = File.ReadAllText(probe);
        var accessTimesKept = File.GetLastAccessTimeUtc(probe) != old;
        var second = Path.Combine(dir, "f1.png");
        File.SetLastAccessTimeUtc(second, old);

        var (exit2, output2, errors2) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), null, () =>
            {
                var waited = Stopwatch.StartNew();
                while (accessTimesKept && File.GetLastAccessTimeUtc(second) == old && waited.Elapsed < TimeSpan.FromSeconds(60))
                {
                    Thread.Sleep(20);
                }

                if (!accessTimesKept)
                {
                    Thread.Sleep(3000);
                }

                foreach (var file in Directory.GetFiles(dir))
                {
                    File.Delete(file);
                }
            },
            "live", "--source", "images:" + dir, "--model", "none", "--device", "cpu", "--headless", "--frames", "600", "--stats", _folder.File("s.json"));

        Assert.True(exit2 == 0, $"exit {exit2}\n{output2}\n{errors2}");
        Assert.Contains("capture: images:", output2, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(_folder.File("s.json")));
        Assert.True(json.RootElement.GetProperty("framesRendered").GetInt64() >= 600);
    }

    public void Dispose() => _folder.Dispose();

    private static int Brightest(Mat image, Rect r)
    {
        using var roi = new Mat(image, r);
        using var grey = roi.CvtColor(ColorConversionCodes.BGR2GRAY);
        grey.MinMaxLoc(out double _, out var max);
        return (int)max;
    }

    /// <summary>Share of pixels in <paramref name="r"/> that are not the dark background.</summary>
    private static double Colourful(Mat image, Rect r)
    {
        using var roi = new Mat(image, r);
        using var grey = roi.CvtColor(ColorConversionCodes.BGR2GRAY);
        using var mask = new Mat();
        Cv2.Threshold(grey, mask, 30, 255, ThresholdTypes.Binary);
        return Cv2.CountNonZero(mask) / (double)(r.Width * r.Height);
    }
}
