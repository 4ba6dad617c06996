// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Live;

namespace ConvLive.App.Tests;

/// <summary>A result slot's frame as the display uploads it.</summary>
public sealed class FrameResultTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(37 * 23)]
    [InlineData(640 * 480)]
    public void BgrExpandsToBgraWithOpaqueAlphaLikeTheByteByByteLoop(int pixels)
    {
        var bgr = new byte[pixels * 3];
        new Random(pixels).NextBytes(bgr);
        var bgra = new byte[pixels * 4];
        Array.Fill(bgra, (byte)7);

        FrameResult.ExpandBgr(bgr, bgra);

        for (var p = 0; p < pixels; p++)
        {
            var (want, got) = ((bgr[3 * p], bgr[(3 * p) + 1], bgr[(3 * p) + 2], (byte)255), (bgra[4 * p], bgra[(4 * p) + 1], bgra[(4 * p) + 2], bgra[(4 * p) + 3]));
            Assert.True(want == got, $"{pixels} pixels: pixel {p} is {got}, expected {want}");
        }
    }
}
