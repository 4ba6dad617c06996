// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Text.Json;
using ConvLive.Tests;
using ConvLive.Engine.Models;

namespace ConvLive.App.Tests;

/// <summary>The real window under Xvfb, driven by key presses from xdotool the way a user would.</summary>
[Collection(XDisplayGroup.Name)]
public sealed class LiveWindowTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [SkippableFact]
    public void KeysCycleTheKernelTakeAScreenshotAndEscapeQuitsCleanly()
    {
        Skip.If(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")), "no X display (run ./test.sh, which uses xvfb-run)");
        Skip.IfNot(File.Exists("/usr/bin/xdotool"), "xdotool is not installed (./test.sh installs it)");
        var statsPath = _folder.File("stats.json");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _folder.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "convlive.dll"), "live", "--source", "synthetic", "--model", "none", "--device", "cpu", "--size", "640x300", "--stats", statsPath })
        {
            start.ArgumentList.Add(arg);
        }

        using var app = Process.Start(start)!;
        var output = app.StandardOutput.ReadToEndAsync();
        var errors = app.StandardError.ReadToEndAsync();
        try
        {
            var window = XWindow.WaitFor("ConvLive", TimeSpan.FromSeconds(180));
            Thread.Sleep(1000);
            XWindow.Xdotool("key", "--window", window, "c");
            Thread.Sleep(300);
            XWindow.Xdotool("key", "--window", window, "s");
            Thread.Sleep(1000);
            XWindow.Xdotool("key", "--window", window, "Escape");
            Assert.True(app.WaitForExit(TimeSpan.FromSeconds(20)), "Escape did not close the app");
        }
        finally
        {
            if (!app.HasExited)
            {
                app.Kill(entireProcessTree: true);
            }
        }

        app.WaitForExit();
        var log = output.GetAwaiter().GetResult() + errors.GetAwaiter().GetResult();
        Assert.True(app.ExitCode == 0, $"exit {app.ExitCode}\n{log}");
        Assert.Contains("display: window", log, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(_folder.Path, "convlive-*.png"));
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        Assert.Equal("horizontal 3x3", stats.RootElement.GetProperty("kernel").GetString());
        Assert.True(stats.RootElement.GetProperty("framesInferred").GetInt64() > 0);
    }

    [SkippableFact]
    public void InTheModelViewKeysAndClicksPickLayersChannelsAndColormaps()
    {
        Skip.If(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")), "no X display (run ./test.sh, which uses xvfb-run)");
        Skip.IfNot(File.Exists("/usr/bin/xdotool"), "xdotool is not installed (./test.sh installs it)");
        var model = SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 2, width: 0.25), _folder.File("alexnet.onnx"));
        var statsPath = _folder.File("stats.json");
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), null, () =>
            {
                var window = XWindow.WaitFor("ConvLive", TimeSpan.FromSeconds(180));
                Thread.Sleep(2500);
                XWindow.Xdotool("key", "--window", window, "Right");  // conv1 -> norm1
                XWindow.Xdotool("key", "--window", window, "Right");  // -> pool1
                XWindow.Xdotool("key", "--window", window, "Up");     // channel 1
                XWindow.Xdotool("key", "--window", window, "m");      // inferno
                Thread.Sleep(500);
                XWindow.Xdotool("mousemove", "--window", window, "400", "580");
                XWindow.Xdotool("click", "--window", window, "1"); // a thumbnail in the bottom strip
                Thread.Sleep(800);
                XWindow.Xdotool("key", "--window", window, "Right"); // -> conv1
                Thread.Sleep(300);
                XWindow.Xdotool("mousemove", "--window", window, "1150", "148");
                XWindow.Xdotool("click", "--window", window, "1"); // the middle of the zoomed channel
                Thread.Sleep(800);
                XWindow.Xdotool("key", "--window", window, "e"); // gradient
                XWindow.Xdotool("key", "--window", window, "e"); // guided
                XWindow.Xdotool("key", "--window", window, "u"); // from conv1's channel 0, not the top class
                Thread.Sleep(800);
                XWindow.Xdotool("key", "--window", window, "u"); // back to a class
                XWindow.Xdotool("mousemove", "--window", window, "100", "512");
                XWindow.Xdotool("click", "--window", window, "1"); // the second top-5 line: that class
                Thread.Sleep(1500);
                XWindow.Xdotool("key", "--window", window, "Escape");
            },
            "live", "--source", "synthetic", "--model", model, "--device", "cpu", "--size", "1280x720", "--stats", statsPath);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        var selection = stats.RootElement.GetProperty("selection");
        Assert.Equal("inferno", selection.GetProperty("colormap").GetString());
        Assert.Equal(0, selection.GetProperty("channel").GetInt32());
        Assert.Equal("guided", stats.RootElement.GetProperty("explain").GetString());
        Assert.Matches(@"^class \d+$", stats.RootElement.GetProperty("explainSeed").GetString());
        Assert.True(stats.RootElement.GetProperty("stageMsP50").GetProperty("explain").GetDouble() > 0, "no explanation ran");

        // conv1 (11x11, stride 4) in the middle of the zoom: a cell near (27, 27) of 55x55, seeing 11x11 input pixels.
        var field = stats.RootElement.GetProperty("receptiveField").GetString()!;
        Assert.Matches(@"^conv1 \(2[5-9], 2[5-9]\) sees input columns 1\d\d\.\.1\d\d, rows 1\d\d\.\.1\d\d: 11x11 of 224x224 \(jump 4\)$", field);
    }

    [SkippableFact]
    public void TabSwitchesToTheNextSource()
    {
        Skip.If(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")), "no X display (run ./test.sh, which uses xvfb-run)");
        Skip.IfNot(File.Exists("/usr/bin/xdotool"), "xdotool is not installed (./test.sh installs it)");
        var dir = Directory.CreateDirectory(_folder.File("frames")).FullName;
        using (var image = new OpenCvSharp.Mat(48, 64, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(200)))
        {
            OpenCvSharp.Cv2.ImWrite(Path.Combine(dir, "a.png"), image);
        }

        var statsPath = _folder.File("stats.json");
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), null, () =>
            {
                var window = XWindow.WaitFor("ConvLive", TimeSpan.FromSeconds(180));
                Thread.Sleep(1000);
                XWindow.Xdotool("key", "--window", window, "Tab");
                Thread.Sleep(1500);
                XWindow.Xdotool("key", "--window", window, "Escape");
            },
            "live", "--source", "synthetic", "--source", "images:" + dir, "--model", "none", "--device", "cpu", "--size", "640x300", "--stats", statsPath);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        Assert.StartsWith("images:", stats.RootElement.GetProperty("source").GetString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void TheKernelsViewTakesStridePoolingShiftAndAClickFromTheKeyboardAndMouse()
    {
        Skip.If(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")), "no X display (run ./test.sh, which uses xvfb-run)");
        Skip.IfNot(File.Exists("/usr/bin/xdotool"), "xdotool is not installed (./test.sh installs it)");
        var statsPath = _folder.File("stats.json");
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), null, () =>
            {
                var window = XWindow.WaitFor("ConvLive", TimeSpan.FromSeconds(180));
                Thread.Sleep(1500);
                foreach (var key in KernelKeys)
                {
                    XWindow.Xdotool("key", "--window", window, key);
                    Thread.Sleep(250);
                }

                XWindow.Xdotool("mousemove", "--window", window, "900", "200");
                XWindow.Xdotool("click", "--window", window, "1");
                Thread.Sleep(1500);
                XWindow.Xdotool("key", "--window", window, "Escape");
            },
            "live", "--source", "synthetic", "--model", "none", "--device", "cpu", "--size", "1280x720", "--stats", statsPath);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        Assert.Equal(
            "sobel-x 3x3, convolution (kernel flipped), stride 2, padding 0, ReLU, max pool 2x2/2, input shifted 1 px",
            stats.RootElement.GetProperty("kernelSetting").GetString());

        // Stride 2 then 2x2/2 pooling on a 3x3 kernel, no padding: a final cell sees (2-1)*2 + 3 = 5... per conv
        // cell, 2 cells per pool window: columns 4x..4x+4, a 5x5 patch.
        Assert.Matches(@"^cell \((\d+), (\d+)\) sees input columns \d+\.\.\d+, rows \d+\.\.\d+: 5x5 of 640x480 pixels", stats.RootElement.GetProperty("receptiveField").GetString());
    }

    private static readonly string[] KernelKeys = ["3", "Up", "Left", "v", "a", "o", "e"];

    public void Dispose() => _folder.Dispose();
}
