// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render.Tests;

/// <summary>A real GLFW window (./test.sh runs the tests under Xvfb); skipped when there is no X display.</summary>
public sealed class WindowRenderTests
{
    [SkippableFact]
    public void ARealWindowDrawsTheSamePixelsAsHeadless()
    {
        Skip.If(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")), "no X display (run ./test.sh, which uses xvfb-run)");
        using var display = Display.CreateWindow("ConvLive test", 64, 48, vsync: false);
        Assert.Equal("window", display.Kind);
        Assert.Equal((64, 48), (display.Width, display.Height));
        using var texture = display.CreateTexture(smooth: false);
        var rgba = HeadlessRenderTests.KnownRgba(64, 48);
        Assert.True(texture.TryUpload(rgba, 64, 48, PixelLayout.Rgba8));
        display.PollEvents();

        var pixels = HeadlessRenderTests.Draw(display, texture, new RectF(0, 0, 64, 48));

        HeadlessRenderTests.AssertPixelsEqual(rgba, pixels);
        Assert.False(display.IsCloseRequested);
        display.RequestClose();
        Assert.True(display.IsCloseRequested);
    }
}
