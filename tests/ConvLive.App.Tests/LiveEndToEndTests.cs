// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Text.Json;
using ConvLive.Tests;
using OpenCvSharp;
using ConvLive.Engine.Models;

namespace ConvLive.App.Tests;

/// <summary>The whole path: capture → engine → render → screenshot and stats, headless, as a user runs it.</summary>
public sealed class LiveEndToEndTests : IDisposable
{
    private const int FrameW = 160;
    private const int FrameH = 120;
    private readonly TempFolder _folder = new();

    [Fact]
    public void TheDisplayComposesOnlyWhenSomethingChangedAndPresentsTheRetainedFrameOtherwise()
    {
        var statsPath = _folder.File("stats.json");
        var shot = _folder.File("shot.png");

        // A 30 fps source under a 60 fps display: about every other presented frame has nothing new to draw.
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2),
            "live", "--source", WriteVideo(), "--model", "none", "--device", "cpu", "--headless", "--frames", "120",
            "--size", "640x300", "--screenshot", shot, "--stats", statsPath);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        var root = stats.RootElement;
        long rendered = root.GetProperty("framesRendered").GetInt64(), composed = root.GetProperty("framesComposed").GetInt64();
        long inferred = root.GetProperty("framesInferred").GetInt64();
        Assert.True(composed >= Math.Min(inferred, 10) && composed <= rendered - 20, $"{composed} of {rendered} frames composed, {inferred} results");
        using var image = Cv2.ImRead(shot, ImreadModes.Color);
        Assert.True(Cv2.Mean(image).Val1 > 10, "the last frame is composed, not blank");
    }

    [Theory]
    [InlineData("cpu", "images")]
    [InlineData("ilgpu-cpu", "video")]
    public void AHeadlessRunShowsTheFrameAndItsVerticalEdgesAndWritesStats(string device, string sourceKind)
    {
        var source = sourceKind == "images" ? WriteImages() : WriteVideo();
        var shot = _folder.File("shot.png");
        var statsPath = _folder.File("stats.json");

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2),
            "live", "--source", source, "--model", "none", "--device", device, "--headless", "--frames", "30",
            "--size", "640x300", "--screenshot", shot, "--stats", statsPath);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        var root = stats.RootElement;
        Assert.True(root.GetProperty("framesRendered").GetInt64() >= 30);
        Assert.True(root.GetProperty("framesInferred").GetInt64() >= 1);
        if (device == "cpu" && root.GetProperty("renderThreadBytesPerFrame").ValueKind == JsonValueKind.Number)
        {
            // After warm-up the render thread reuses every buffer and texture: no managed allocation per frame.
            Assert.True(root.GetProperty("renderThreadBytesPerFrame").GetDouble() < 64, $"render thread allocates {root.GetProperty("renderThreadBytesPerFrame")} B/frame");
        }
        Assert.StartsWith(device, root.GetProperty("device").GetString(), StringComparison.Ordinal);
        Assert.StartsWith(sourceKind + ":", root.GetProperty("source").GetString(), StringComparison.Ordinal);
        foreach (var name in new[] { "displayFps", "latencyMsP50", "latencyMsP95" })
        {
            Assert.True(root.GetProperty(name).ValueKind == JsonValueKind.Number, $"{name} missing");
        }

        using var image = Cv2.ImRead(shot, ImreadModes.Color);
        Assert.Equal((640, 300), (image.Width, image.Height));

        // Left panel: the frame, dark on the left of its middle and bright on the right.
        // Right panel: the edge map, warm (red > blue) along the vertical edge in its middle, black elsewhere.
        var (leftPanel, rightPanel) = (FindPanel(image, 0, 320), FindPanel(image, 320, 640));
        var midY = leftPanel.Y + (leftPanel.Height / 2);
        Assert.True(Grey(image, leftPanel.X + (leftPanel.Width / 4), midY) < 60, "left of the frame should be dark");
        Assert.True(Grey(image, leftPanel.X + (leftPanel.Width * 3 / 4), midY) > 190, "right of the frame should be bright");

        var edgeColumn = Enumerable.Range(rightPanel.X, rightPanel.Width)
            .MaxBy(x => image.At<Vec3b>(midY, x).Item2);
        var edge = image.At<Vec3b>(midY, edgeColumn);
        Assert.True(edge.Item2 > 200 && edge.Item2 > edge.Item0 + 100, $"no warm edge in the edge map (best {edge})");
        Assert.InRange(edgeColumn - rightPanel.X, (rightPanel.Width / 2) - 8, (rightPanel.Width / 2) + 8);
        Assert.True(Grey(image, rightPanel.X + (rightPanel.Width / 4), midY) < 10, "flat regions should have no response");
        Assert.True(Grey(image, rightPanel.X + (rightPanel.Width * 3 / 4), midY) < 10, "flat regions should have no response");
    }

    [Fact]
    public void AMissingVideoEndsWithOneLineAndExitCode2()
    {
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(1),
            "live", "--source", "video:" + _folder.File("missing.mp4"), "--headless", "--frames", "5");
        Assert.Equal(2, exit);
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("missing.mp4: no such file", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + errors, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void WithoutASourceAMissingCameraIsReportedInOneLineAndTheSyntheticSceneRuns()
    {
        Skip.If(File.Exists("/dev/video0"), "this machine has a camera");
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(1), "live", "--model", "none", "--headless", "--frames", "5", "--device", "cpu");
        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        var cameraLines = (output + errors).Split('\n').Where(l => l.Contains("camera", StringComparison.Ordinal)).ToArray();
        Assert.Single(cameraLines);
        Assert.Contains("camera:0: no camera opened", cameraLines[0], StringComparison.Ordinal);
        Assert.Contains("using --source synthetic", cameraLines[0], StringComparison.Ordinal);
        Assert.Contains("source: synthetic", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownDeviceIsRefusedByTheCommandLine()
    {
        var (exit, _, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(1), "live", "--device", "tpu", "--headless");
        Assert.NotEqual(0, exit);
        Assert.Contains("tpu", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("alexnet")]
    public void AnAcceleratorThatFailsMidRunFallsBackToTheCpuAndTheRunGoesOn(string view)
    {
        var model = view == "none" ? "none" : SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 2, width: 0.125), _folder.File("tiny.onnx"));
        var statsPath = _folder.File("fault.json");
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), new Dictionary<string, string> { ["CONVLIVE_FAULT_AFTER_FRAMES"] = "1" }, null,
            "live", "--source", "synthetic", "--model", model, "--device", "ilgpu-cpu", "--headless", "--frames", "60", "--stats", statsPath, "--samples", _folder.File("samples"));

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains("failed mid-run (injected device fault", output, StringComparison.Ordinal);
        Assert.Contains("continuing on cpu", output, StringComparison.Ordinal);
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        Assert.StartsWith("cpu", stats.RootElement.GetProperty("device").GetString(), StringComparison.Ordinal);
        Assert.True(stats.RootElement.GetProperty("framesInferred").GetInt64() >= 1);
    }

    public void Dispose() => _folder.Dispose();

    private static int Grey(Mat image, int x, int y)
    {
        var p = image.At<Vec3b>(y, x);
        return (p.Item0 + p.Item1 + p.Item2) / 3;
    }

    /// <summary>The panel whose border (runs of 30+ border-grey pixels: no glyph makes those) lies in columns [x0, x1).</summary>
    private static Rect FindPanel(Mat image, int x0, int x1)
    {
        // The panel border is drawn in (0.22, 0.22, 0.25) grey; the content sits inside it.
        int top = int.MaxValue, bottom = -1, left = int.MaxValue, right = -1, height = image.Height;
        for (var y = 0; y < height; y++)
        {
            var run = 0;
            for (var x = x0; x < x1; x++)
            {
                var p = image.At<Vec3b>(y, x);
                run = Math.Abs(p.Item1 - 56) <= 2 && Math.Abs(p.Item0 - 64) <= 2 ? run + 1 : 0;
                if (run >= 30)
                {
                    (top, bottom, left, right) = (Math.Min(top, y), Math.Max(bottom, y), Math.Min(left, x - run + 1), Math.Max(right, x));
                }
            }
        }

        Assert.True(right > left && bottom > top, $"no panel border in columns {x0}..{x1}");
        return new Rect(left + 2, top + 2, right - left - 3, bottom - top - 3);
    }

    private static Mat SplitFrame()
    {
        var image = new Mat(FrameH, FrameW, MatType.CV_8UC3, Scalar.All(10));
        image[new Rect(FrameW / 2, 0, FrameW / 2, FrameH)].SetTo(Scalar.All(240));
        return image;
    }

    private string WriteImages()
    {
        var dir = Directory.CreateDirectory(_folder.File("frames")).FullName;
        using var image = SplitFrame();
        for (var i = 0; i < 3; i++)
        {
            Cv2.ImWrite(Path.Combine(dir, $"frame_{i:D4}.png"), image);
        }

        return "images:" + Path.Combine(dir, "frame_%04d.png");
    }

    private string WriteVideo()
    {
        var path = _folder.File("clip.avi");
        using (var writer = new VideoWriter(path, FourCC.MJPG, 30, new Size(FrameW, FrameH)))
        using (var image = SplitFrame())
        {
            for (var i = 0; i < 10; i++)
            {
                writer.Write(image);
            }
        }

        return "video:" + path;
    }
}
