// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Tests;
using OpenCvSharp;

namespace ConvLive.Capture.Tests;

public sealed class VideoFileSourceTests : IDisposable
{
    private const int Frames = 8;
    private readonly TempFolder _folder = new();

    [Theory]
    [InlineData("clip.avi", "MJPG")]
    [InlineData("clip.mp4", "mp4v")]
    public void AWrittenVideoIsReadBackFrameByFrameAndLoops(string name, string fourcc)
    {
        var path = _folder.File(name);
        WriteVideo(path, fourcc);
        using var source = FrameSources.Open("video:" + path);
        Assert.Contains("64x48", source.Description, StringComparison.Ordinal);
        Assert.False(source.PacesItself);
        Assert.Equal(15, source.FramesPerSecond, 1);

        var frame = new VideoFrame();
        for (var n = 0; n < Frames + 3; n++)
        {
            Assert.True(source.TryRead(frame), source.LastProblem);
            Assert.Equal((64, 48), (frame.Width, frame.Height));
            var expected = Level(n % Frames);
            var mean = frame.Pixels.ToArray().Average(b => (double)b);
            Assert.True(Math.Abs(mean - expected) < 8, $"frame {n}: mean {mean:0.0}, expected about {expected} (frame {n % Frames} of the loop)");
        }
    }

    [Theory]
    [InlineData("clip.avi", "MJPG")]
    [InlineData("clip.mp4", "mp4v")]
    public void OpenedToPlayOnceEachFrameComesOnceThenTheSourceEnds(string name, string fourcc)
    {
        var path = _folder.File(name);
        WriteVideo(path, fourcc);
        using var source = FrameSources.Open("video:" + path, loop: false);
        var video = Assert.IsType<VideoFileSource>(source);
        var frame = new VideoFrame();
        for (var n = 0; n < Frames; n++)
        {
            Assert.True(source.TryRead(frame), source.LastProblem);
            Assert.Equal(n, frame.Sequence);
            Assert.Equal(n / 15.0, video.LastFrameSeconds, 6);
            Assert.True(Math.Abs(frame.Pixels.ToArray().Average(b => (double)b) - Level(n)) < 8, $"frame {n}");
        }

        Assert.False(source.TryRead(frame));
        Assert.True(source.Ended);
        Assert.False(source.TryRead(frame));
    }

    [Fact]
    public void AMissingFileNamesThePathAndTheAlternatives()
    {
        var e = Assert.Throws<FrameSourceException>(() => FrameSources.Open("video:" + _folder.File("nope.mp4")));
        Assert.Contains("nope.mp4", e.Message, StringComparison.Ordinal);
        Assert.Contains("no such file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileThatIsNotAVideoIsRefused()
    {
        var path = _folder.File("notes.mp4");
        File.WriteAllText(path, "not a video at all");
        var e = Assert.Throws<FrameSourceException>(() => FrameSources.Open("video:" + path));
        Assert.Contains("could not open it as a video", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AVideoWithCorruptFramesKeepsDeliveringFrames()
    {
        var path = _folder.File("damaged.avi");
        WriteVideo(path, "MJPG");
        var bytes = File.ReadAllBytes(path);
        // Scribble over a stretch in the middle of the file: a frame or two of JPEG data, maybe index entries.
        var random = new Random(3);
        for (var i = bytes.Length * 2 / 5; i < bytes.Length * 3 / 5; i++)
        {
            bytes[i] = (byte)random.Next(256);
        }

        File.WriteAllBytes(path, bytes);
        using var source = FrameSources.Open("video:" + path);
        var frame = new VideoFrame();
        var delivered = 0;
        for (var n = 0; n < 3 * Frames; n++)
        {
            delivered += source.TryRead(frame) ? 1 : 0;
        }

        Assert.True(delivered >= 2 * Frames, $"{delivered} of {3 * Frames} reads gave a frame; last problem: {source.LastProblem}");
        Assert.Equal((64, 48), (frame.Width, frame.Height));
    }

    public void Dispose() => _folder.Dispose();

    private static int Level(int i) => 30 + (25 * i);

    private static void WriteVideo(string path, string fourcc)
    {
        using (var writer = new VideoWriter(path, FourCC.FromString(fourcc), 15, new Size(64, 48)))
        {
            Assert.True(writer.IsOpened(), $"OpenCV cannot write {fourcc} here");
            for (var i = 0; i < Frames; i++)
            {
                using var image = new Mat(48, 64, MatType.CV_8UC3, Scalar.All(Level(i)));
                writer.Write(image);
            }
        }
    }
}
