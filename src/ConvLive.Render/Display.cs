// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Render.Gl;
using ConvLive.Render.Native;
using Silk.NET.OpenGL;

namespace ConvLive.Render;

/// <summary>
/// Where panels are drawn: a real GLFW window, or an EGL surfaceless context drawing into an offscreen
/// framebuffer (<c>--headless</c>). Both run the same GL code, so a headless screenshot shows what the window
/// would. The shape follows Silk.NET's windowing: poll events, begin a frame, draw, end the frame.
/// </summary>
/// <remarks>
/// The thread that creates the display is the render thread: every member but <see cref="RequestClose"/> must
/// be called on it (checked). Owns the window or context, its GL objects and every texture it made.
/// </remarks>
public sealed partial class Display : IDisposable
{
    private readonly IGlHost _host;
    private readonly GL _gl;
    private readonly PanelPainter _painter;
    private readonly GlyphBatch _glyphs;
    private readonly ComposedFrame _frame; // every frame is composed here, then shown (window) or read (headless)

    private readonly Action<KeyPress> _onKey;
    private readonly Action<MouseClick> _onClick;
    private readonly Action<int, int> _onResize;
    private volatile bool _closeRequested;
    private bool _uploadsBegun; // BeginUploads ran this frame: BeginFrame keeps its budget
    private bool _disposed;

    private Display(IGlHost host)
    {
        _host = host;
        Thread = new RenderThread();
        try
        {
            _gl = GL.GetApi(host.GetProcAddress);
            Renderer = _gl.GetStringS(StringName.Renderer) ?? "unknown";
            Version = _gl.GetStringS(StringName.Version) ?? "unknown";
            _painter = new PanelPainter(_gl);
            _glyphs = new GlyphBatch(_gl);
            _frame = new ComposedFrame(_gl, host.Width, host.Height);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        _onKey = k => KeyPressed?.Invoke(k);
        _onClick = c => Clicked?.Invoke(c);
        _onResize = (w, h) => Resized?.Invoke(w, h);
    }

    /// <summary>Raised by <see cref="PollEvents"/> for each key press, on the render thread.</summary>
    public event Action<KeyPress>? KeyPressed;

    /// <summary>Raised by <see cref="PollEvents"/> for each mouse click, on the render thread.</summary>
    public event Action<MouseClick>? Clicked;

    /// <summary>Raised by <see cref="PollEvents"/> when the framebuffer changes size (width, height in pixels).</summary>
    public event Action<int, int>? Resized;

    /// <summary>The most texture pixels uploaded in one frame; further uploads wait for the next frame.
    /// Default 8 Mpx: a 1080p camera frame and ResNet-18's every feature map (a 4.3 Mpx atlas) go up in one frame
    /// (with a 640×480 camera, 1.3–1.5 ms on llvmpipe), while a burst of larger uploads still cannot stall the display.</summary>
    public long MaxPixelsUploadedPerFrame { get => Textures.MaxPixelsPerFrame; set => Textures.MaxPixelsPerFrame = value; }

    /// <summary>"window" or "headless (EGL surfaceless)".</summary>
    public string Kind => _host.Kind;

    /// <summary>GL_RENDERER, e.g. <c>llvmpipe (LLVM 15.0.6, 256 bits)</c>.</summary>
    public string Renderer { get; }

    /// <summary>GL_VERSION.</summary>
    public string Version { get; }

    /// <summary>Framebuffer width in pixels.</summary>
    public int Width => _host.Width;

    /// <summary>Framebuffer height in pixels.</summary>
    public int Height => _host.Height;

    /// <summary>True once the user closed the window, pressed a quit key, or <see cref="RequestClose"/> ran.</summary>
    public bool IsCloseRequested => _closeRequested || _host.CloseRequested;

    internal RenderThread Thread { get; }

    /// <summary>Texture deletions waiting for the render thread, and this frame's upload budget.</summary>
    internal TextureQueue Textures { get; } = new();

    /// <summary>Opens a real window with a GL 3.3 core context: a Win32 window with WGL on Windows, GLFW elsewhere (needs a display).</summary>
    /// <param name="title">The title bar text.</param>
    /// <param name="width">Window width, pixels.</param>
    /// <param name="height">Window height, pixels.</param>
    /// <param name="vsync">Swap on vertical blank (caps the rate at the monitor's).</param>
    /// <returns>The display; the calling thread becomes its render thread.</returns>
    /// <exception cref="RenderException">No display, no GLFW, or no GL 3.3; the message says what to do.</exception>
    public static Display CreateWindow(string title, int width, int height, bool vsync = true)
    {
        if (OperatingSystem.IsWindows())
        {
            return new Display(new Win32WindowHost(title, width, height, vsync, visible: true));
        }

        try
        {
            return new Display(new GlfwWindowHost(title, width, height, vsync));
        }
        catch (DllNotFoundException e)
        {
            throw new RenderException("GLFW 3 is not installed: apt-get install libglfw3, or pass --headless.", e);
        }
    }

    /// <summary>Opens a headless display: EGL surfaceless + an offscreen framebuffer (no X server needed); on
    /// Windows a hidden WGL window's context drawing into the same offscreen framebuffer.</summary>
    /// <param name="width">Framebuffer width, pixels.</param>
    /// <param name="height">Framebuffer height, pixels.</param>
    /// <returns>The display; the calling thread becomes its render thread.</returns>
    /// <exception cref="RenderException">No EGL or no Mesa driver; the message says what to install.</exception>
    public static Display CreateHeadless(int width, int height) =>
        OperatingSystem.IsWindows() ? new(new Win32WindowHost("ConvLive (headless)", width, height, vsync: false, visible: false)) : new(new EglHeadlessHost(width, height));

    /// <summary>Asks the loop to stop; safe from any thread.</summary>
    public void RequestClose() => _closeRequested = true;

    /// <summary>Sets the window title (no-op headless).</summary>
    /// <param name="title">The new title.</param>
    public void SetTitle(string title)
    {
        Thread.Ensure();
        _host.SetTitle(title);
    }

    /// <summary>Processes input and window events, raising <see cref="KeyPressed"/>, <see cref="Clicked"/> and <see cref="Resized"/>.</summary>
    public void PollEvents()
    {
        Thread.Ensure();
        _host.PollEvents(_onKey, _onClick, _onResize);
    }

    /// <summary>Makes a font from a glyph atlas rendered once by the caller (8-bit coverage, 16 glyphs a row from
    /// <paramref name="firstChar"/>): the regular size and, optionally, a smaller one in the same atlas.</summary>
    /// <param name="coverage">Atlas pixels, width·height bytes.</param>
    /// <param name="width">Atlas width.</param>
    /// <param name="height">Atlas height.</param>
    /// <param name="regular">Where the regular size's cells lie.</param>
    /// <param name="small">Where the small size's cells lie, or null for one size.</param>
    /// <param name="firstChar">The first character in the atlas (usually ' ').</param>
    /// <returns>The font; the caller owns it.</returns>
    public FontAtlas CreateFont(ReadOnlySpan<byte> coverage, int width, int height, GlyphCells regular, GlyphCells? small = null, char firstChar = ' ')
    {
        var texture = CreateTexture(smooth: true);
        texture.UploadNow(coverage, width, height, PixelLayout.Grey8);
        return new FontAtlas(texture, width, height, regular, small, firstChar);
    }

    /// <summary>Makes a 256×1 colormap texture for <see cref="DrawMapped"/>.</summary>
    /// <param name="rgba">256·4 bytes.</param>
    /// <returns>The texture; the caller owns it.</returns>
    public PanelTexture CreateLut(ReadOnlySpan<byte> rgba)
    {
        // Nearest: every 8-bit value lands on a texel centre, so filtering would only cost (4 taps a pixel on a
        // software rasteriser) without changing a colour.
        var texture = CreateTexture(smooth: false);
        texture.UploadNow(rgba, 256, 1, PixelLayout.Rgba8);
        return texture;
    }

    /// <summary>Makes a texture for a panel.</summary>
    /// <param name="smooth">Linear filtering (photos) rather than nearest (feature maps, where pixels matter).</param>
    /// <returns>The texture; the caller owns it and disposes it before the display.</returns>
    public PanelTexture CreateTexture(bool smooth = true)
    {
        Thread.Ensure();
        return new PanelTexture(this, _gl, smooth);
    }

    /// <summary>Starts a frame's uploads before it is known whether the frame will be composed: frees queued textures
    /// and resets the upload budget. A loop that composes only once a result is wholly uploaded calls this first; the
    /// frame then ends with <see cref="BeginFrame"/> … <see cref="EndFrame"/> or with <see cref="PresentRetained"/>.</summary>
    public void BeginUploads()
    {
        Thread.Ensure();
        Textures.BeginFrame(_gl);
        _uploadsBegun = true;
    }

    /// <summary>Starts a frame: frees queued textures, resets the upload budget (unless <see cref="BeginUploads"/>
    /// already did this frame), clears to <paramref name="background"/>.</summary>
    /// <param name="background">The clear colour.</param>
    public void BeginFrame(Colour background)
    {
        Thread.Ensure();
        if (_uploadsBegun)
        {
            Textures.Drain(_gl);
        }
        else
        {
            Textures.BeginFrame(_gl);
        }

        _frame.Bind(Width, Height);
        _gl.Viewport(0, 0, (uint)Width, (uint)Height);
        _gl.Disable(EnableCap.DepthTest);
        _painter.BeginFrame();
        _gl.ClearColor(background.R, background.G, background.B, background.A);
        _gl.Clear(ClearBufferMask.ColorBufferBit);
    }

    /// <summary>Draws <paramref name="texture"/> stretched over <paramref name="rect"/>.</summary>
    /// <param name="texture">A texture of this display with at least one upload.</param>
    /// <param name="rect">Where, in framebuffer pixels.</param>
    public void DrawTexture(PanelTexture texture, RectF rect) => DrawTexture(texture, rect, new RectF(0, 0, 1, 1));

    /// <summary>Draws part of <paramref name="texture"/> (<paramref name="uv"/> in 0..1 texture coordinates, y down) over <paramref name="rect"/>.</summary>
    /// <param name="texture">A texture of this display with at least one upload.</param>
    /// <param name="rect">Where, in framebuffer pixels.</param>
    /// <param name="uv">The part of the texture.</param>
    public void DrawTexture(PanelTexture texture, RectF rect, RectF uv) => Draw(PanelMode.Texture, texture, null, rect, uv, default, false);

    /// <summary>Draws part of an 8-bit texture through a colormap lookup texture (256×1).</summary>
    /// <param name="texture">An 8-bit (grey) texture.</param>
    /// <param name="lut">The colormap, 256 pixels wide.</param>
    /// <param name="rect">Where, in framebuffer pixels.</param>
    /// <param name="uv">The part of the texture.</param>
    /// <param name="alpha">Opacity over what is already drawn (1: opaque; less blends, e.g. a heat map over a picture).</param>
    public void DrawMapped(PanelTexture texture, PanelTexture lut, RectF rect, RectF uv, float alpha = 1f) => Draw(PanelMode.Mapped, texture, lut, rect, uv, default, false, alpha);

    /// <summary>Draws three 8-bit tiles of one texture as the R, G and B of one image.</summary>
    /// <param name="texture">An 8-bit (grey) texture.</param>
    /// <param name="rect">Where, in framebuffer pixels.</param>
    /// <param name="uv">The first tile.</param>
    /// <param name="stepU">Texture-space offset from one tile to the next, u.</param>
    /// <param name="stepV">Texture-space offset from one tile to the next, v.</param>
    /// <param name="swapRedBlue">The tiles are B, G, R.</param>
    public void DrawChannels(PanelTexture texture, RectF rect, RectF uv, float stepU, float stepV, bool swapRedBlue) =>
        Draw(PanelMode.Channels, texture, null, rect, uv, (stepU, stepV), swapRedBlue);

    /// <summary>Fills <paramref name="rect"/> with <paramref name="colour"/> (alpha-blended).</summary>
    /// <param name="rect">Where, in framebuffer pixels.</param>
    /// <param name="colour">The fill colour.</param>
    public void FillRect(RectF rect, Colour colour)
    {
        Thread.Ensure();
        _painter.Fill(rect, colour, Width, Height);
    }

    /// <summary>Reads the frame drawn so far (call before <see cref="EndFrame"/>), rows top to bottom.</summary>
    /// <param name="rgba">Width·Height·4 bytes.</param>
    public void ReadPixels(Span<byte> rgba)
    {
        Thread.Ensure();
        _frame.Read(rgba, Width, Height);
    }

    /// <summary>Reads the frame drawn so far (before <see cref="EndFrame"/>) as GL keeps it, rows bottom to top: for
    /// recording, where the encoder flips (nothing allocated here).</summary>
    /// <param name="rgba">Width·Height·4 bytes.</param>
    public void ReadPixelsBottomUp(Span<byte> rgba)
    {
        Thread.Ensure();
        _frame.ReadBottomUp(rgba, Width, Height);
    }

    /// <summary>Ends the frame: copies the composed frame to the window and swaps its buffers (headless: flushes).</summary>
    public void EndFrame()
    {
        Thread.Ensure();
        _uploadsBegun = false;
        if (_host.IsOffscreen)
        {
            _gl.Flush();
            return;
        }

        _frame.Blit(Width, Height);
        _host.Present();
    }

    /// <summary>A refresh when nothing on screen changed, or while a result is still going up: the last composed frame
    /// stays (nothing is drawn, copied or sent to the window system); the live loop recomposes at least every tenth of
    /// a second once nothing is half uploaded (within a few frames), repairing an uncovered window.</summary>
    public void PresentRetained()
    {
        Thread.Ensure();
        _uploadsBegun = false;
    }

    /// <summary>Releases GL objects, then the window or context. Render thread only; idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        Thread.Ensure();
        _disposed = true;
        Textures.Drain(_gl);
        _frame.Dispose();
        _glyphs.Dispose();
        _painter.Dispose();
        _gl.Dispose();
        _host.Dispose();
    }

    private void Draw(PanelMode mode, PanelTexture texture, PanelTexture? lut, RectF rect, RectF uv, (float U, float V) step, bool swap, float alpha = 1f)
    {
        ArgumentNullException.ThrowIfNull(texture);
        Thread.Ensure();
        if (texture.Width > 0)
        {
            _painter.Draw(mode, texture, lut, rect, uv, step, swap, Width, Height, alpha);
        }
    }
}
