// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Text.Json;
using ConvLive.Engine.Models;
using ConvLive.Tests;
using OpenCvSharp;

namespace ConvLive.App.Tests;

/// <summary>The selected unit's top-9 from the stream and what it wants, in <c>live</c>: headless with options, and
/// in a real window with the keys (W draw, I save the picture, N save the top-9, X clear it; U after a click in the
/// zoom explains that one unit).</summary>
[Collection(XDisplayGroup.Name)]
public sealed class LiveUnitStudyTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void AHeadlessRunGathersTheSelectedLayersTopNineAndDrawsWhatAUnitWants()
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 5, width: 0.25), _folder.File("small.onnx"));
        var statsPath = _folder.File("stats.json");
        var shot = _folder.File("shot.png");

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3),
            "live", "--source", "synthetic", "--model", model, "--device", "cpu", "--headless", "--frames", "150",
            "--select", "conv2:3", "--wants", "conv3_1:2@6,6", /* a readable name or the ONNX value's */ "--explain", "gradient", "--screenshot", shot, "--stats", statsPath, "--samples", _folder.File("samples"));

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        var root = stats.RootElement;
        var top9 = root.GetProperty("top9");
        Assert.Equal("conv2_1", top9.GetProperty("layer").GetString());
        var inferred = root.GetProperty("framesInferred").GetInt64();
        Assert.InRange(top9.GetProperty("frames").GetInt64(), Math.Min(inferred, 3), inferred);
        // Every channel holds one entry per frame seen, up to nine.
        Assert.Equal(Math.Min(9, top9.GetProperty("frames").GetInt64()) * 64, top9.GetProperty("filled").GetInt64());
        Assert.Equal(64 * 9, top9.GetProperty("slots").GetInt32());
        var wants = root.GetProperty("wants");
        Assert.Equal("conv3_1:2@6,6", wants.GetProperty("unit").GetString());
        Assert.True(wants.GetProperty("steps").GetInt32() >= 2);
        Assert.True(root.GetProperty("stageMsP50").GetProperty("wants").GetDouble() > 0);
        Assert.Equal("conv2_1", root.GetProperty("selection").GetProperty("layer").GetString());
        Assert.Equal("conv2", root.GetProperty("selection").GetProperty("label").GetString());
        Assert.Equal(3, root.GetProperty("selection").GetProperty("channel").GetInt32());

        // The grid and the picture sit side by side under the zoomed channel (1280x720: x 1029.., y 306..).
        using var image = Cv2.ImRead(shot, ImreadModes.Color);
        Assert.True(Spread(image, new Rect(1035, 312, 100, 100)) > 10, "no top-9 grid under the zoom");
        Assert.True(Spread(image, new Rect(1160, 312, 100, 100)) > 5, "no picture of what the unit wants");
    }

    [Theory]
    [InlineData("--wants", "nosuch:1", "has no layer with channels named 'nosuch'")]
    [InlineData("--select", "conv2_1:999", "'conv2_1' has 64 channels (0..63)")]
    [InlineData("--wants", "conv2_1:1@99,0", "maps are 26x26; give a column and row inside them")]
    [InlineData("--wants", "class:five", "give class:K")]
    [InlineData("--wants", "class:5000", "has 1000 outputs")]
    [InlineData("--wants", "conv2_1", "give VALUE:CHANNEL")]
    public void ABadUnitIsRefusedWithTheLayersToPickFrom(string option, string value, string message)
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 5, width: 0.25), _folder.File("small.onnx"));
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2),
            "live", "--source", "synthetic", "--model", model, "--device", "cpu", "--headless", "--frames", "5", option, value, "--samples", _folder.File("samples"));

        Assert.True(exit == 2, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains(message, errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal); // a message, not a stack trace
    }

    [SkippableFact]
    public void InAWindowKeysDrawWhatAUnitWantsSaveItSaveTheTopNineAndResetIt()
    {
        Skip.If(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")), "no X display (run ./test.sh, which uses xvfb-run)");
        Skip.IfNot(File.Exists("/usr/bin/xdotool"), "xdotool is not installed (./test.sh installs it)");
        var model = SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 2, width: 0.25), _folder.File("alexnet.onnx"));
        var statsPath = _folder.File("stats.json");
        var work = Directory.CreateDirectory(_folder.File("work")).FullName;
        var (exit, output, errors) = ConvLiveProcess.RunIn(work, TimeSpan.FromMinutes(3), null, () =>
            {
                var window = XWindow.WaitFor("ConvLive", TimeSpan.FromSeconds(180));
                Thread.Sleep(2500);
                XWindow.Xdotool("key", "--window", window, "w"); // what conv1_1 channel 4 wants
                Thread.Sleep(3000);
                XWindow.Xdotool("key", "--window", window, "i"); // save that picture
                XWindow.Xdotool("key", "--window", window, "n"); // save conv1_1's top-9
                Thread.Sleep(2500);
                XWindow.Xdotool("key", "--window", window, "x"); // forget it
                XWindow.Xdotool("mousemove", "--window", window, "1150", "148");
                XWindow.Xdotool("click", "--window", window, "1"); // the unit in the middle of the zoom
                XWindow.Xdotool("key", "--window", window, "e"); // gradient saliency...
                XWindow.Xdotool("key", "--window", window, "u"); // ...of that one unit
                Thread.Sleep(1500);
                XWindow.Xdotool("key", "--window", window, "Escape");
            },
            "live", "--source", "synthetic", "--model", model, "--device", "cpu", "--size", "1280x720", "--select", "conv1_1:4", "--stats", statsPath, "--samples", _folder.File("samples"));

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        var picture = Assert.Single(Directory.GetFiles(work, "convlive-wants-conv1_1_4-*.png"));
        using (var image = Cv2.ImRead(picture, ImreadModes.Color))
        {
            Assert.Equal((224, 224), (image.Width, image.Height));
        }

        var folder = Assert.Single(Directory.GetDirectories(work, "convlive-top9-conv1_1-*"));
        Assert.Equal(24, Directory.GetFiles(folder, "channel-*.png").Length); // conv1 of the quarter-width AlexNet: 96/4
        var rows = File.ReadAllLines(Path.Combine(folder, "top9.csv"));
        Assert.Equal("channel,rank,activation,frame,x,y", rows[0]);
        Assert.True(rows.Length > 24, $"{rows.Length - 1} entries");
        Assert.Empty(Directory.GetFileSystemEntries(work, "*" + Engine.IO.AtomicFile.TempMarker + "*")); // nothing half-written left

        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        var root = stats.RootElement;
        Assert.True(root.GetProperty("top9").GetProperty("frames").GetInt64() < root.GetProperty("framesInferred").GetInt64(), "X did not clear the top-9");
        Assert.Equal("conv1_1:4", root.GetProperty("wants").GetProperty("unit").GetString());
        Assert.Equal("gradient", root.GetProperty("explain").GetString());
        Assert.Matches(@"^conv1_1:4@2[5-9],2[5-9]$", root.GetProperty("explainSeed").GetString());
        Assert.True(root.GetProperty("stageMsP50").GetProperty("explain").GetDouble() > 0, "no explanation ran");
    }

    public void Dispose() => _folder.Dispose();

    private static double Spread(Mat image, Rect region)
    {
        using var roi = new Mat(image, region);
        Cv2.MeanStdDev(roi, out _, out var std);
        return std.Val0 + std.Val1 + std.Val2;
    }
}
