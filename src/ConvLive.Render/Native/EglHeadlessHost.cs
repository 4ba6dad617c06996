// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render.Native;

/// <summary>
/// A GL 3.3 core context on EGL's Mesa surfaceless platform: no X server, no window. The frame is drawn into an
/// offscreen framebuffer that <see cref="Display"/> creates once GL is loaded.
/// </summary>
/// <remarks>Owns the EGL display and context; made current on the creating thread.</remarks>
internal sealed class EglHeadlessHost : IGlHost
{
    private readonly nint _display;
    private readonly nint _context;
    private bool _closeRequested;
    private bool _disposed;

    public EglHeadlessHost(int width, int height)
    {
        Width = width;
        Height = height;
        try
        {
            _display = Egl.GetPlatformDisplay(Egl.PlatformSurfacelessMesa, 0);
        }
        catch (DllNotFoundException e)
        {
            throw new RenderException("headless rendering needs EGL: install libegl1, libegl-mesa0 and libgl1-mesa-dri (./test.sh does).", e);
        }

        if (_display == 0 || Egl.Initialize(_display, out _, out _) == 0)
        {
            throw new RenderException($"EGL surfaceless display unavailable (EGL error 0x{Egl.GetError():X}). Install libegl-mesa0 and libgl1-mesa-dri, or run with a display instead of --headless.");
        }

        if (Egl.BindApi(Egl.OpenGLApi) == 0)
        {
            _ = Egl.Terminate(_display);
            throw new RenderException($"EGL cannot bind desktop OpenGL (EGL error 0x{Egl.GetError():X}). Install libgl1-mesa-dri.");
        }

        var configs = new nint[1];
        if (Egl.ChooseConfig(_display, [Egl.SurfaceType, 0, Egl.RenderableType, Egl.OpenGLBit, Egl.None], configs, 1, out var count) == 0 || count == 0)
        {
            _ = Egl.Terminate(_display);
            throw new RenderException($"EGL found no OpenGL config (EGL error 0x{Egl.GetError():X}). Install libgl1-mesa-dri.");
        }

        _context = Egl.CreateContext(_display, configs[0], 0,
            [Egl.ContextMajorVersion, 3, Egl.ContextMinorVersion, 3, Egl.ContextOpenGLProfileMask, Egl.ContextOpenGLCoreProfileBit, Egl.None]);
        if (_context == 0 || Egl.MakeCurrent(_display, 0, 0, _context) == 0)
        {
            var error = Egl.GetError();
            _ = Egl.Terminate(_display);
            throw new RenderException($"EGL could not make a surfaceless OpenGL 3.3 core context current (EGL error 0x{error:X}). Update Mesa (libgl1-mesa-dri).");
        }
    }

    public string Kind => "headless (EGL surfaceless)";

    public bool IsOffscreen => true;

    public int Width { get; }

    public int Height { get; }

    public bool CloseRequested => _closeRequested;

    public nint GetProcAddress(string name) => Egl.GetProcAddress(name);

    public void RequestClose() => _closeRequested = true;

    public void PollEvents(Action<KeyPress> onKey, Action<MouseClick> onClick, Action<int, int> onResize)
    {
        // No window, no events.
    }

    public void Present()
    {
        // The frame stays in the offscreen framebuffer, where screenshots read it.
    }

    public void SetTitle(string title)
    {
        // No title bar.
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ = Egl.MakeCurrent(_display, 0, 0, 0);
        _ = Egl.DestroyContext(_display, _context);
        _ = Egl.Terminate(_display);
        _ = Egl.ReleaseThread();
    }
}
