// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render.Tests;

/// <summary>Real GL through EGL surfaceless (Mesa llvmpipe): draw known pixels, read them back exactly.</summary>
public sealed class HeadlessRenderTests
{
    private const int W = 64;
    private const int H = 48;

    [Fact]
    public void ATextureDrawnOverTheWholeFramebufferReadsBackPixelForPixel()
    {
        using var display = Display.CreateHeadless(W, H);
        using var texture = display.CreateTexture(smooth: false);
        var rgba = KnownRgba(W, H);
        Assert.True(texture.TryUpload(rgba, W, H, PixelLayout.Rgba8));

        var pixels = Draw(display, texture, new RectF(0, 0, W, H));

        AssertPixelsEqual(rgba, pixels);
    }

    [Fact]
    public void BgrAndGreyUploadsShowTheSameColoursAsRgba()
    {
        using var display = Display.CreateHeadless(W, H);
        var rgba = KnownRgba(W, H);
        var bgr = new byte[W * H * 3];
        var grey = new byte[W * H];
        var greyAsRgba = new byte[W * H * 4];
        for (var i = 0; i < W * H; i++)
        {
            (bgr[3 * i], bgr[(3 * i) + 1], bgr[(3 * i) + 2]) = (rgba[(4 * i) + 2], rgba[(4 * i) + 1], rgba[4 * i]);
            grey[i] = rgba[4 * i];
            greyAsRgba.AsSpan(4 * i, 3).Fill(grey[i]);
            greyAsRgba[(4 * i) + 3] = 255;
        }

        using var bgrTexture = display.CreateTexture(smooth: false);
        Assert.True(bgrTexture.TryUpload(bgr, W, H, PixelLayout.Bgr8));
        AssertPixelsEqual(rgba, Draw(display, bgrTexture, new RectF(0, 0, W, H)));

        using var greyTexture = display.CreateTexture(smooth: false);
        Assert.True(greyTexture.TryUpload(grey, W, H, PixelLayout.Grey8));
        AssertPixelsEqual(greyAsRgba, Draw(display, greyTexture, new RectF(0, 0, W, H)));
    }

    [Fact]
    public void RectanglesLandWhereTheyAreAskedWithTheTopLeftAsOrigin()
    {
        using var display = Display.CreateHeadless(W, H);
        display.BeginFrame(new Colour(0, 0, 0));
        display.FillRect(new RectF(8, 4, 16, 10), new Colour(1, 0, 0));
        var pixels = new byte[W * H * 4];
        display.ReadPixels(pixels);
        display.EndFrame();

        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                var inside = x >= 8 && x < 24 && y >= 4 && y < 14;
                Assert.True(pixels[((y * W) + x) * 4] == (inside ? 255 : 0), $"pixel ({x},{y}) red = {pixels[((y * W) + x) * 4]}");
            }
        }
    }

    [Fact]
    public void GlCallsFromAnotherThreadAreRefused()
    {
        using var display = Display.CreateHeadless(W, H);
        Exception? error = null;
        var thread = new Thread(() => error = Record.Exception(() => display.BeginFrame(new Colour(0, 0, 0))));
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));
        Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("render thread", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UploadsPastTheFrameBudgetWaitForTheNextFrame()
    {
        using var display = Display.CreateHeadless(W, H);
        display.MaxPixelsUploadedPerFrame = W * H;
        using var a = display.CreateTexture();
        using var b = display.CreateTexture();
        var rgba = KnownRgba(W, H);
        display.BeginFrame(new Colour(0, 0, 0));
        Assert.True(a.TryUpload(rgba, W, H, PixelLayout.Rgba8));
        Assert.False(b.TryUpload(rgba, W, H, PixelLayout.Rgba8));
        display.EndFrame();
        display.BeginFrame(new Colour(0, 0, 0));
        Assert.True(b.TryUpload(rgba, W, H, PixelLayout.Rgba8));
        display.EndFrame();
    }

    [Fact]
    public void UploadsBegunBeforeTheFrameShareItsBudgetAndARetainedFrameEndsIt()
    {
        using var display = Display.CreateHeadless(W, H);
        display.MaxPixelsUploadedPerFrame = W * H;
        using var a = display.CreateTexture();
        using var b = display.CreateTexture();
        var rgba = KnownRgba(W, H);

        display.BeginUploads();
        Assert.True(a.TryUpload(rgba, W, H, PixelLayout.Rgba8));
        display.BeginFrame(new Colour(0, 0, 0)); // the same frame: the budget is not reset
        Assert.False(b.TryUpload(rgba, W, H, PixelLayout.Rgba8));
        display.EndFrame();

        display.BeginUploads();
        Assert.True(b.TryUpload(rgba, W, H, PixelLayout.Rgba8));
        display.PresentRetained();

        display.BeginFrame(new Colour(0, 0, 0)); // a new frame after the retained one: a new budget
        Assert.True(a.TryUpload(rgba, W, H, PixelLayout.Rgba8));
        display.EndFrame();
    }

    internal static byte[] KnownRgba(int w, int h)
    {
        var rgba = new byte[w * h * 4];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var i = ((y * w) + x) * 4;
                (rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]) = ((byte)(x * 4), (byte)(y * 5), (byte)((x ^ y) * 3), 255);
            }
        }

        return rgba;
    }

    internal static byte[] Draw(Display display, PanelTexture texture, RectF rect)
    {
        display.BeginFrame(new Colour(0, 0, 0));
        display.DrawTexture(texture, rect);
        var pixels = new byte[display.Width * display.Height * 4];
        display.ReadPixels(pixels);
        display.EndFrame();
        return pixels;
    }

    internal static void AssertPixelsEqual(byte[] expected, byte[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
            {
                var pixel = i / 4;
                Assert.Fail($"first differing pixel ({pixel % W},{pixel / W}) channel {i % 4}: expected {expected[i]}, got {actual[i]}");
            }
        }
    }
}
