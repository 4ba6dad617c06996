// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConvLive.Render.Native;

/// <summary>A real GLFW window with a GL 3.3 core context, made current on the creating thread.</summary>
/// <remarks>Owns the window and GLFW's initialisation; callbacks queue events that <see cref="PollEvents"/> raises.</remarks>
internal sealed unsafe class GlfwWindowHost : IGlHost
{
    private const int KeyEvent = 0, ClickEvent = 1, ResizeEvent = 2;
    private readonly nint _window;
    private readonly GCHandle _self;
    private readonly ConcurrentQueue<(int Kind, KeyPress Key, MouseClick Click, int Width, int Height)> _events = new(); // structs: an event allocates nothing
    private bool _disposed;

    public GlfwWindowHost(string title, int width, int height, bool vsync)
    {
        if (Glfw.Init() != Glfw.True)
        {
            throw new RenderException($"GLFW could not initialise ({Glfw.LastError()}). Is there a display? Set DISPLAY, run under xvfb-run, or pass --headless.");
        }

        Glfw.WindowHint(Glfw.ContextVersionMajor, 3);
        Glfw.WindowHint(Glfw.ContextVersionMinor, 3);
        Glfw.WindowHint(Glfw.OpenGLProfile, Glfw.OpenGLCoreProfile);
        Glfw.WindowHint(Glfw.OpenGLForwardCompat, Glfw.True);
        _window = Glfw.CreateWindow(width, height, title, 0, 0);
        if (_window == 0)
        {
            var error = Glfw.LastError();
            Glfw.Terminate();
            throw new RenderException($"GLFW could not create a {width}x{height} OpenGL 3.3 core window ({error}). Update the GL driver (Mesa 20+), or pass --headless.");
        }

        Glfw.MakeContextCurrent(_window);
        Glfw.SwapInterval(vsync ? 1 : 0);
        _self = GCHandle.Alloc(this);
        Glfw.SetWindowUserPointer(_window, GCHandle.ToIntPtr(_self));
        Glfw.SetKeyCallback(_window, &OnKey);
        Glfw.SetMouseButtonCallback(_window, &OnMouseButton);
        Glfw.SetFramebufferSizeCallback(_window, &OnFramebufferSize);
        Glfw.GetFramebufferSize(_window, out var w, out var h);
        Width = w;
        Height = h;
    }

    public string Kind => "window";

    public bool IsOffscreen => false;

    public int Width { get; private set; }

    public int Height { get; private set; }

    public bool CloseRequested => Glfw.WindowShouldClose(_window) != 0;

    public nint GetProcAddress(string name) => Glfw.GetProcAddress(name);

    public void RequestClose() => Glfw.SetWindowShouldClose(_window, Glfw.True);

    public void PollEvents(Action<KeyPress> onKey, Action<MouseClick> onClick, Action<int, int> onResize)
    {
        Glfw.PollEvents();
        while (_events.TryDequeue(out var e))
        {
            switch (e.Kind)
            {
                case KeyEvent:
                    onKey(e.Key);
                    break;
                case ClickEvent:
                    onClick(e.Click);
                    break;
                default:
                    Width = e.Width;
                    Height = e.Height;
                    onResize(e.Width, e.Height);
                    break;
            }
        }
    }

    public void Present() => Glfw.SwapBuffers(_window);

    public void SetTitle(string title) => Glfw.SetWindowTitle(_window, title);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Glfw.DestroyWindow(_window);
        Glfw.Terminate();
        _self.Free();
    }

    private static GlfwWindowHost? From(nint window)
    {
        var pointer = Glfw.GetWindowUserPointer(window);
        return pointer == 0 ? null : GCHandle.FromIntPtr(pointer).Target as GlfwWindowHost;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnKey(nint window, int key, int scancode, int action, int mods)
    {
        if (action is Glfw.Press or Glfw.Repeat && From(window) is { } host)
        {
            var named = Enum.IsDefined((Key)key) ? (Key)key : Key.Unknown;
            host._events.Enqueue((KeyEvent, new KeyPress(named, key, action == Glfw.Repeat), default, 0, 0));
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnMouseButton(nint window, int button, int action, int mods)
    {
        if (action == Glfw.Press && From(window) is { } host)
        {
            // Cursor positions are in window coordinates; scale them to framebuffer pixels (HiDPI).
            Glfw.GetCursorPos(window, out var x, out var y);
            Glfw.GetWindowSize(window, out var ww, out var wh);
            var sx = ww > 0 ? (float)host.Width / ww : 1f;
            var sy = wh > 0 ? (float)host.Height / wh : 1f;
            host._events.Enqueue((ClickEvent, default, new MouseClick((float)x * sx, (float)y * sy, button), 0, 0));
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnFramebufferSize(nint window, int width, int height)
    {
        From(window)?._events.Enqueue((ResizeEvent, default, default, width, height));
    }
}
