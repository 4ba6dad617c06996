// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Text.Json;
using ConvLive.Engine.Models;
using ConvLive.Tests;
using OpenCvSharp;

namespace ConvLive.App.Tests;

/// <summary><c>live --record</c> and key R: the composed window to a video, one frame per presented frame.</summary>
[Collection(XDisplayGroup.Name)]
public sealed class LiveRecordingTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [SkippableFact]
    public void AHeadlessRunOf150FramesRecordsAnMp4ThatReadsBackWithThemAll()
    {
        var video = _folder.File("run.mp4");
        var statsPath = _folder.File("stats.json");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3),
            "live", "--source", "synthetic", "--model", Model(), "--device", "cpu", "--headless", "--frames", "150", "--size", "640x360",
            "--record", video, "--stats", statsPath, "--samples", _folder.File("samples"));
        var most = (int)(clock.Elapsed.TotalSeconds * 60) + 8; // frames are given by the clock: a loaded machine's slower display makes a longer video

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        var recording = stats.RootElement.GetProperty("recording");
        Assert.Equal(video, recording.GetProperty("path").GetString());
        Assert.Equal(JsonValueKind.Null, recording.GetProperty("error").ValueKind);
        // 150 frames presented at 60 a second: about 2.5 s of video at 60 fps, frames given by the clock.
        Assert.InRange(recording.GetProperty("frames").GetInt64(), 135, most);
        var (frames, width, height) = ReadBack(video);
        Assert.Equal(recording.GetProperty("frames").GetInt64(), frames);
        Assert.Equal((640, 360), (width, height));

        // A player's reader (ffmpeg's, not OpenCV's) decodes every frame of it too.
        Skip.IfNot(File.Exists("/usr/bin/ffprobe"), "ffprobe is not installed (./test.sh installs ffmpeg)");
        var (probeExit, probe, probeErrors) = Run("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=codec_name,nb_read_frames", "-of", "default=nw=1", video);
        Assert.True(probeExit == 0, $"ffprobe exit {probeExit}: {probeErrors}");
        var read = probe.Split('\n').Single(l => l.StartsWith("nb_read_frames=", StringComparison.Ordinal));
        Assert.Equal(frames, int.Parse(read["nb_read_frames=".Length..], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(probe.Split('\n'), l => l is "codec_name=h264" or "codec_name=mpeg4");
    }

    [SkippableFact]
    public void ARecordingThatReachesItsSizeLimitStopsPlaysAndTheRunGoesOn()
    {
        var video = _folder.File("limited.mp4");
        var statsPath = _folder.File("stats.json");
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3),
            "live", "--source", "synthetic", "--model", Model(), "--device", "cpu", "--headless", "--frames", "240", "--size", "640x360",
            "--record", video, "--record-max-mb", "0.25", "--stats", statsPath, "--samples", _folder.File("samples"));

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        Assert.True(stats.RootElement.GetProperty("framesRendered").GetInt64() >= 240, "the run stopped with the recording");
        var recording = stats.RootElement.GetProperty("recording");
        Assert.Contains("size limit of 0.25 MB", recording.GetProperty("error").GetString(), StringComparison.Ordinal);
        var written = recording.GetProperty("frames").GetInt64();
        Assert.InRange(written, 1, 239); // stopped before the run ended
        // The file stops near the limit: the encoder's and muxer's buffered bytes land after the check.
        Assert.InRange(new FileInfo(video).Length, 1, 4 * 256 * 1024);
        var (frames, _, _) = ReadBack(video);
        Assert.Equal(written, frames); // the part written is a whole video
        Assert.DoesNotContain(Directory.GetFiles(_folder.Path), f => f.Contains(".tmp-", StringComparison.Ordinal));
    }

    /// <summary>Runs a program (ffprobe is installed by ./test.sh with Debian's ffmpeg) and returns its exit code and output.</summary>
    private static (int Exit, string Output, string Errors) Run(string program, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), $"{program} did not finish in 60 s");
        return (process.ExitCode, output.Result, errors.Result);
    }

    [Theory]
    [InlineData("missing-folder/run.mp4", "does not exist")]
    [InlineData("run.txt", "give an .mp4 or .avi file")]
    public void ARecordingThatCannotStartIsSaidAndTheRunGoesOn(string name, string message)
    {
        var statsPath = _folder.File("stats.json");
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2),
            "live", "--source", "synthetic", "--model", "none", "--device", "cpu", "--headless", "--frames", "30", "--size", "640x360",
            "--record", _folder.File(name), "--stats", statsPath);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.True(JsonDocument.Parse(File.ReadAllText(statsPath)).RootElement.GetProperty("framesRendered").GetInt64() >= 30);
    }

    [SkippableFact]
    public void InAWindowRStartsAndStopsARecording()
    {
        Skip.If(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")), "no X display (run ./test.sh, which uses xvfb-run)");
        Skip.IfNot(File.Exists("/usr/bin/xdotool"), "xdotool is not installed (./test.sh installs it)");
        var work = Directory.CreateDirectory(_folder.File("work")).FullName;
        var (exit, output, errors) = ConvLiveProcess.RunIn(work, TimeSpan.FromMinutes(2), null, () =>
            {
                var window = XWindow.WaitFor("ConvLive", TimeSpan.FromSeconds(180));
                Thread.Sleep(1500);
                XWindow.Xdotool("key", "--window", window, "r");
                Thread.Sleep(2500);
                XWindow.Xdotool("key", "--window", window, "r");
                Thread.Sleep(500);
                XWindow.Xdotool("key", "--window", window, "Escape");
            },
            "live", "--source", "synthetic", "--model", "none", "--device", "cpu", "--size", "640x360", "--max-fps", "30");

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        var video = Assert.Single(Directory.GetFiles(work, "convlive-*.mp4"));
        Assert.InRange(ReadBack(video).Frames, 30, 200); // about 2.5 s at 30 fps
    }

    public void Dispose() => _folder.Dispose();

    private string Model() => SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 5, width: 0.25), _folder.File("small.onnx"));

    private static (int Frames, int Width, int Height) ReadBack(string path)
    {
        using var capture = new VideoCapture(path);
        Assert.True(capture.IsOpened(), $"{path} does not open as a video");
        using var frame = new Mat();
        var frames = 0;
        while (capture.Read(frame) && !frame.Empty())
        {
            frames++;
        }

        return (frames, capture.FrameWidth, capture.FrameHeight);
    }
}
