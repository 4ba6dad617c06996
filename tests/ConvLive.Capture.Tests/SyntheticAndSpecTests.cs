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
