// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Capture.Tests;

public sealed class SyntheticAndSpecTests
{
    [Fact]
    public void TheSyntheticSceneIsDeterministicAndMoves()
    {
        using var a = FrameSources.Open("synthetic");
        using var b = new SyntheticSource();
        VideoFrame fa = new(), fb = new();
        Assert.True(a.TryRead(fa));
        Assert.True(b.TryRead(fb));
        Assert.True(fa.Pixels.SequenceEqual(fb.Pixels));
        var first = fa.Pixels.ToArray();
        for (var i = 0; i < 10; i++)
        {
            Assert.True(a.TryRead(fa));
        }

        Assert.Equal(10, fa.Sequence);
        Assert.False(first.AsSpan().SequenceEqual(fa.Pixels), "the scene did not move in 10 frames");
    }

    [Theory]
    [InlineData(640, 480)]
    [InlineData(1280, 720)]
    [InlineData(37, 23)]
    [InlineData(16, 16)]
    [InlineData(16, 40)] // taller than 1.6 × wide: the disc leaves the frame
    [InlineData(20, 64)]
    [InlineData(3, 2)]
    public void TheSceneDrawnRegionByRegionEqualsThePerPixelReference(int width, int height)
    {
        var (fast, naive) = (new byte[width * height * 3], new byte[width * height * 3]);
        foreach (var seconds in new[] { 0.0, 1 / 30.0, 0.77, 2.5, 13.37, 100.0 })
        {
            Array.Fill(fast, (byte)123);
            SyntheticSource.Draw(fast, width, height, seconds);
            DrawReference(naive, width, height, seconds);
            var bad = Enumerable.Range(0, fast.Length).FirstOrDefault(i => fast[i] != naive[i], -1);
            Assert.True(bad < 0, $"{width}x{height} at {seconds} s: byte {bad} (pixel {bad / 3 % width},{bad / 3 / width}) is {(bad < 0 ? 0 : fast[bad])}, the reference {(bad < 0 ? 0 : naive[bad])}");
        }
    }

    /// <summary>The scene as first written: every test for every pixel.</summary>
    private static void DrawReference(Span<byte> bgr, int width, int height, double seconds)
    {
        var barsRight = width / 3;
        var stripesTop = height * 2 / 3;
        var barShift = (int)(seconds * 40);
        var stripeShift = (int)(seconds * 12);
        var cx = (width * 0.62) + (width * 0.18 * Math.Sin(seconds * 1.3));
        var cy = (height * 0.38) + (height * 0.16 * Math.Sin(seconds * 2.1));
        var radius = height / 8.0;
        var r2 = radius * radius;
        var boardX = width * 3 / 4;
        var boardSize = height / 4;
        var cell = Math.Max(boardSize / 6, 2);
        for (var y = 0; y < height; y++)
        {
            var shade = 40 + (60 * y / height);
            for (var x = 0; x < width; x++)
            {
                byte b = (byte)(shade + 30), g = (byte)shade, r = (byte)(shade / 2);
                if (x < barsRight && y < stripesTop)
                {
                    b = g = r = ((x - barShift) & 32) == 0 ? (byte)230 : (byte)20;
                }
                else if (y >= stripesTop && ((y - stripeShift) & 16) == 0)
                {
                    (b, g, r) = (30, 140, 240);
                }

                if (x >= boardX && x < boardX + boardSize && y >= cell && y < cell + boardSize)
                {
                    b = g = r = (((x - boardX) / cell) + ((y - cell) / cell)) % 2 == 0 ? (byte)250 : (byte)5;
                }

                double dx = x - cx, dy = y - cy;
                if ((dx * dx) + (dy * dy) <= r2)
                {
                    (b, g, r) = (40, 220, 250);
                }

                var i = ((y * width) + x) * 3;
                (bgr[i], bgr[i + 1], bgr[i + 2]) = (b, g, r);
            }
        }
    }

    [Fact]
    public void TheSyntheticSceneHasStrongVerticalEdges()
    {
        using var source = new SyntheticSource(640, 480);
        var frame = new VideoFrame();
        source.TryRead(frame);
        var row = 100 * 640 * 3;
        var jumps = 0;
        for (var x = 1; x < 200; x++)
        {
            if (Math.Abs(frame.Bgr[row + (x * 3)] - frame.Bgr[row + ((x - 1) * 3)]) > 150)
            {
                jumps++;
            }
        }

        Assert.True(jumps >= 4, $"only {jumps} strong vertical edges in the bar region");
    }

    [Theory]
    [InlineData("webcam", "unknown source")]
    [InlineData("camera:x", "whole number")]
    [InlineData("video:", "give the file")]
    [InlineData("images:", "give a folder")]
    public void MalformedSpecsAreRefusedWithTheSpecAndAHint(string spec, string hint)
    {
        var e = Assert.Throws<FrameSourceException>(() => FrameSources.Open(spec));
        Assert.Contains(spec, e.Message, StringComparison.Ordinal);
        Assert.Contains(hint, e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void AMissingCameraIsRefusedWithoutThrowingFromOpenCV()
    {
        Skip.If(File.Exists("/dev/video7"), "this machine has a /dev/video7");
        var e = Assert.Throws<FrameSourceException>(() => FrameSources.Open("camera:7"));
        Assert.Contains("camera:7: no camera opened", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFrameSlotGrowsButNeverShrinksItsArray()
    {
        var frame = new VideoFrame();
        frame.Resize(64, 48);
        var array = frame.Bgr;
        frame.Resize(32, 24);
        Assert.Same(array, frame.Bgr);
        Assert.Equal(32 * 24 * 3, frame.Pixels.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.Resize(0, 10));
    }
}
