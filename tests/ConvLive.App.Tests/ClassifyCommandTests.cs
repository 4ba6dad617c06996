// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using System.Text.Json;
using ConvLive.Engine.Models;
using ConvLive.Tests;
using OpenCvSharp;

namespace ConvLive.App.Tests;

/// <summary><c>convlive classify</c>: each frame of a video or picture of a folder once, a row each, the same every run.</summary>
public sealed class ClassifyCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void AThreeSecondVideoAtThirtyFramesGivesNinetyRowsAndTheSameOnASecondRun()
    {
        var (model, video) = (Model(), Video(90));
        var first = _folder.File("a.csv");
        var second = _folder.File("b.csv");

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), "classify", "--model", model, "--source", "video:" + video, "--output", first, "--top", "3", "--device", "cpu");
        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains("classified 90 frames", output, StringComparison.Ordinal);
        (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), "classify", "--model", model, "--source", "video:" + video, "--output", second, "--top", "3", "--device", "cpu");
        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");

        var rows = File.ReadAllLines(first);
        Assert.Equal("frame,time_s,answer,label1,p1,label2,p2,label3,p3,error", rows[0]);
        Assert.Equal(91, rows.Length);
        for (var i = 1; i < rows.Length; i++)
        {
            var cells = rows[i].Split(',');
            Assert.Equal(10, cells.Length);
            Assert.Equal(i - 1, int.Parse(cells[0], CultureInfo.InvariantCulture));
            Assert.Equal((i - 1) / 30.0, double.Parse(cells[1], CultureInfo.InvariantCulture), 3);
            var p = new[] { cells[4], cells[6], cells[8] }.Select(c => double.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            Assert.True(p[0] >= p[1] && p[1] >= p[2] && p[0] <= 1, rows[i]);
            Assert.Equal(cells[3], cells[2]); // no threshold: the answer is the top class
            Assert.Equal(string.Empty, cells[9]);
        }

        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [Fact]
    public void AFolderGivesOneRowAPictureAndADamagedOneIsReportedInItsRow()
    {
        var model = Model();
        var dir = Directory.CreateDirectory(_folder.File("pictures")).FullName;
        for (var i = 0; i < 3; i++)
        {
            using var image = new Mat(120, 160, MatType.CV_8UC3, Scalar.All(60 * i));
            Cv2.ImWrite(Path.Combine(dir, $"p{i}.png"), image);
        }

        File.WriteAllText(Path.Combine(dir, "q-broken.png"), "not a picture");
        var output = _folder.File("out.jsonl");

        var (exit, text, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), "classify", "--model", model, "--source", "images:" + dir, "--output", output, "--top", "2", "--device", "cpu");

        Assert.True(exit == 0, $"exit {exit}\n{text}\n{errors}");
        Assert.Contains("1 damaged", text, StringComparison.Ordinal);
        var rows = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["p0.png", "p1.png", "p2.png", "q-broken.png"], rows.Select(r => r.GetProperty("file").GetString()));
        Assert.Equal([0, 1, 2, 3], rows.Select(r => r.GetProperty("frame").GetInt32()));
        foreach (var row in rows.Take(3))
        {
            var top = row.GetProperty("top");
            Assert.Equal(2, top.GetArrayLength());
            Assert.False(string.IsNullOrEmpty(top[0].GetProperty("label").GetString()));
            Assert.InRange(top[0].GetProperty("p").GetDouble(), 0, 1);
        }

        Assert.Contains("does not decode", rows[3].GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ATruncatedVideoGivesTheRowsOfTheFramesThatDecodeAndAZeroBytePictureItsOwnRow()
    {
        var video = Video(60);
        var bytes = File.ReadAllBytes(video);
        var cut = _folder.File("cut.avi");
        File.WriteAllBytes(cut, bytes.AsSpan(0, bytes.Length / 2).ToArray()); // a download that stopped half-way
        var output = _folder.File("cut.csv");
        var (exit, text, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "classify", "--model", Model(), "--source", "video:" + cut, "--output", output, "--device", "cpu");
        Assert.True(exit == 0, $"exit {exit}\n{text}\n{errors}");
        var rows = File.ReadAllLines(output);
        Assert.InRange(rows.Length - 1, 10, 59); // some frames, not all, and a whole CSV
        Assert.All(rows.Skip(1), r => Assert.Equal(14, r.Split(',').Length));

        var dir = Directory.CreateDirectory(_folder.File("zero")).FullName;
        using (var image = new Mat(60, 80, MatType.CV_8UC3, Scalar.All(90)))
        {
            Cv2.ImWrite(Path.Combine(dir, "a.png"), image);
        }

        File.WriteAllBytes(Path.Combine(dir, "b.jpg"), []);
        output = _folder.File("zero.csv");
        (exit, text, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "classify", "--model", Model(), "--source", "images:" + dir, "--output", output, "--device", "cpu", "--top", "1");
        Assert.True(exit == 0, $"exit {exit}\n{text}\n{errors}");
        rows = File.ReadAllLines(output);
        Assert.Equal(3, rows.Length);
        Assert.StartsWith("1,b.jpg,,,", rows[2], StringComparison.Ordinal);
        Assert.Contains("does not decode", rows[2], StringComparison.Ordinal);
    }

    [Fact]
    public void FramesLimitsTheRun()
    {
        var output = _folder.File("ten.csv");
        var (exit, text, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "classify", "--model", Model(), "--source", "video:" + Video(30), "--output", output, "--frames", "10", "--device", "cpu");
        Assert.True(exit == 0, $"exit {exit}\n{text}\n{errors}");
        Assert.Equal(11, File.ReadAllLines(output).Length);
    }

    [Theory]
    [InlineData("out.txt", "video", "give a .csv or .jsonl file")]
    [InlineData("out.csv", "missing", "no such file")]
    public void BadRequestsAreOneLineErrors(string output, string source, string message)
    {
        var video = source == "video" ? Video(5) : _folder.File("missing.avi");
        var (exit, text, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "classify", "--model", Model(), "--source", "video:" + video, "--output", _folder.File(output), "--device", "cpu");
        Assert.True(exit == 2, $"exit {exit}\n{text}\n{errors}");
        Assert.Contains(message, errors, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.File(output)));
    }

    public void Dispose() => _folder.Dispose();

    private string Model() => SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 5, width: 0.25), _folder.File("small.onnx"));

    /// <summary>An MJPG clip of <paramref name="frames"/> frames at 30 fps: a bar sweeping across.</summary>
    private string Video(int frames)
    {
        var path = _folder.File($"clip{frames}.avi");
        using var writer = new VideoWriter(path, FourCC.MJPG, 30, new Size(160, 120));
        for (var i = 0; i < frames; i++)
        {
            using var frame = new Mat(120, 160, MatType.CV_8UC3, Scalar.All(30));
            Cv2.Rectangle(frame, new Rect((i * 5) % 140, 0, 20, 120), Scalar.All(230), -1);
            writer.Write(frame);
        }

        return path;
    }
}
