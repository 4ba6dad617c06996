// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Tests;
using OpenCvSharp;

namespace ConvLive.Capture.Tests;

public sealed class ImageSequenceSourceTests : IDisposable
{
    private const int Width = 48;
    private const int Height = 32;
    private readonly TempFolder _folder = new();

    public ImageSequenceSourceTests()
    {
        for (var i = 0; i < 5; i++)
        {
            using var image = Image(i);
            Cv2.ImWrite(_folder.File($"frame_{i:D4}.png"), image);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FramesComeBackPixelExactInOrderAndTheSequenceCycles(bool usePattern)
    {
        var spec = "images:" + (usePattern ? _folder.File("frame_%04d.png") : _folder.Path);
        using var source = FrameSources.Open(spec);
        var frame = new VideoFrame();
        for (var n = 0; n < 12; n++)
        {
            Assert.True(source.TryRead(frame), source.LastProblem);
            Assert.Equal((Width, Height), (frame.Width, frame.Height));
            Assert.Equal(n, frame.Sequence);
            using var expected = Image(n % 5);
            Assert.True(ExpectedBytes(expected).AsSpan().SequenceEqual(frame.Pixels), $"frame {n} differs from image {n % 5}");
        }
    }

    [Fact]
    public void APatternListsFilesInNumberOrderNotNameOrder()
    {
        using var image = Image(7);
        Cv2.ImWrite(_folder.File("shot_10.png"), image);
        Cv2.ImWrite(_folder.File("shot_9.png"), image);
        Cv2.ImWrite(_folder.File("shot_100.png"), image);
        using var source = new ImageSequenceSource(_folder.File("shot_%d.png"));
        Assert.Equal(["shot_9.png", "shot_10.png", "shot_100.png"], source.Files.Select(Path.GetFileName));
    }

    [Fact]
    public void AFileThatDoesNotDecodeIsSkippedAndReported()
    {
        File.WriteAllText(_folder.File("frame_0002.png"), "this is not a PNG");
        using var source = FrameSources.Open("images:" + _folder.Path);
        var frame = new VideoFrame();
        var sequence = new List<byte>();
        for (var n = 0; n < 4; n++)
        {
            Assert.True(source.TryRead(frame));
            sequence.Add(frame.Pixels[0]);
        }

        Assert.Equal([Blue(0), Blue(1), Blue(3), Blue(4)], sequence);
        Assert.Contains("frame_0002.png", source.LastProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenedToReadOnceEachFileComesOnceADamagedOneIsReportedInItsTurnThenTheSourceEnds()
    {
        File.WriteAllText(_folder.File("frame_0002.png"), "this is not a PNG");
        using var source = FrameSources.Open("images:" + _folder.Path, loop: false);
        var images = Assert.IsType<ImageSequenceSource>(source);
        var frame = new VideoFrame();
        var seen = new List<string>();
        for (var n = 0; n < 5; n++)
        {
            var read = source.TryRead(frame);
            seen.Add($"{Path.GetFileName(images.LastFile)}:{(read ? frame.Pixels[0].ToString(System.Globalization.CultureInfo.InvariantCulture) : "bad")}");
            Assert.Equal(n == 2, !read);
            Assert.False(source.Ended);
        }

        Assert.Equal(["frame_0000.png:" + Blue(0), "frame_0001.png:" + Blue(1), "frame_0002.png:bad", "frame_0003.png:" + Blue(3), "frame_0004.png:" + Blue(4)], seen);
        Assert.False(source.TryRead(frame));
        Assert.True(source.Ended);
    }

    [Fact]
    public void AnEmptyFolderIsRefusedWithAHint()
    {
        using var empty = new TempFolder();
        var e = Assert.Throws<FrameSourceException>(() => FrameSources.Open("images:" + empty.Path));
        Assert.Contains("no image files", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();

    private static byte Blue(int i) => (byte)(20 + (40 * i));

    /// <summary>Image i: a BGR gradient whose blue channel encodes i, so frames are told apart exactly.</summary>
    private static Mat Image(int i)
    {
        var image = new Mat(Height, Width, MatType.CV_8UC3);
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                image.Set(y, x, new Vec3b(Blue(i), (byte)(x * 5), (byte)(y * 7)));
            }
        }

        return image;
    }

    private static byte[] ExpectedBytes(Mat image)
    {
        var bytes = new byte[Width * Height * 3];
        System.Runtime.InteropServices.Marshal.Copy(image.Data, bytes, 0, bytes.Length);
        return bytes;
    }
}
