// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using ConvLive.Capture;
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

    [Fact]
    public void ACameraThatVanishesGetsARowSayingSoItsFramesGoOnWhenItComesBackAndTheFileStaysWhole()
    {
        // No camera here: a real video's frames through OpenCV behind a stand-in for the camera, which stops giving
        // frames as CameraSource does when unplugged (no frame, its message) — for a second, then for good.
        var output = _folder.File("camera.csv");
        var model = Model();
        var video = new VideoFileSource(Video(30), loop: true);
        var exit = Cli.ClassifyCommand.Run(model, () => new VanishingCamera(video), output, 2, 0, 1.5, Engine.Devices.DeviceKind.Cpu);

        Assert.Equal(0, exit);
        var rows = File.ReadAllLines(output);
        Assert.Equal("frame,time_s,answer,label1,p1,label2,p2,error", rows[0]);
        var cells = rows.Skip(1).Select(r => r.Split(',')).ToList();
        Assert.All(cells, c => Assert.Equal(8, c.Length));
        Assert.Equal(Enumerable.Range(0, cells.Count), cells.Select(c => int.Parse(c[0], CultureInfo.InvariantCulture)));
        var lost = Enumerable.Range(0, cells.Count).Where(i => cells[i][7].Length > 0).ToList();
        Assert.True(lost.Count == 2, $"{lost.Count} rows say the camera was lost, expected 2 (one per loss):\n{string.Join('\n', rows)}");
        Assert.All(lost, i => Assert.Equal(VanishingCamera.Problem, cells[i][7]));
        Assert.Equal(VanishingCamera.FramesBetween, lost[0]);                      // the frames before the first loss
        Assert.Equal(VanishingCamera.FramesBetween, lost[1] - lost[0] - 1);        // it came back and went on
        Assert.Equal(cells.Count - 1, lost[1]);                                    // the second loss ended the run
        var time = cells.Select(c => double.Parse(c[1], CultureInfo.InvariantCulture)).ToList();
        Assert.True(time.Zip(time.Skip(1)).All(t => t.Second >= t.First), "times run forward: " + string.Join(' ', time));
        Assert.True(time[lost[0] + 1] - time[lost[0] - 1] >= 0.9, $"the gap: {time[lost[0] - 1]} s, then {time[lost[0] + 1]} s");
        Assert.All(cells.Where(c => c[7].Length == 0), c => Assert.InRange(double.Parse(c[4], CultureInfo.InvariantCulture), 0, 1));
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

    /// <summary>A camera that gives <see cref="FramesBetween"/> frames (a real video's, paced at ~60 a second), then
    /// none for a second, then as many again, then none for good: what CameraSource reports when unplugged.</summary>
    private sealed class VanishingCamera(VideoFileSource video) : IFrameSource
    {
        public const int FramesBetween = 20;
        public const string Problem = "camera:9 delivers no frames (unplugged?); retrying every second";
        private int _given;
        private long _lostAt;

        public string Description => "camera:9 (a video behind a stand-in that vanishes)";

        public double FramesPerSecond => 30;

        public bool PacesItself => true;

        public string? LastProblem { get; private set; }

        public bool TryRead(VideoFrame frame)
        {
            if (_given == FramesBetween && (_lostAt == 0 || Stopwatch.GetElapsedTime(_lostAt).TotalSeconds < 1) || _given >= 2 * FramesBetween)
            {
                _lostAt = _lostAt == 0 ? Stopwatch.GetTimestamp() : _lostAt;
                LastProblem = Problem;
                Thread.Sleep(5);
                return false;
            }

            Thread.Sleep(15);
            if (!video.TryRead(frame))
            {
                return false;
            }

            _given++;
            LastProblem = null;
            frame.CapturedTicks = Stopwatch.GetTimestamp();
            return true;
        }

        public void Dispose() => video.Dispose();
    }

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
