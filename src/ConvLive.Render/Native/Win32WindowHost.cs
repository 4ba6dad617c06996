// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.InteropServices;

namespace ConvLive.Render.Native;

/// <summary>
/// The Windows host: a Win32 window (CreateWindowExW, its messages pumped on the render thread) with an OpenGL 3.3
/// core context from wglCreateContextAttribsARB; hidden for <c>--headless</c>, where the frame stays in the display's
/// offscreen framebuffer. Only user32, gdi32 and opengl32 are needed, which every Windows has: no glfw3.dll.
/// </summary>
/// <remarks>Owns the window class, the window, its DC and the GL context; made current on the creating thread.</remarks>
internal sealed unsafe class Win32WindowHost : IGlHost
{
    private const string ClassName = "ConvLiveWindow";

    [ThreadStatic]
    private static Win32WindowHost? _creating; // messages sent while CreateWindowExW runs, before the handle is known

    private static readonly Dictionary<nint, Win32WindowHost> Hosts = [];
    private static readonly Lock Registration = new();
    private static nint _className; // registered once per process, kept for its life (a class outlives its windows)
    private readonly Queue<HostEvent> _events = new(); // structs: an input event allocates nothing
    private readonly nint _instance;
    private readonly nint _opengl32;
    private readonly nint _window;
    private readonly nint _dc;
    private readonly nint _context;
    private bool _closeRequested;
    private bool _disposed;

    public Win32WindowHost(string title, int width, int height, bool vsync, bool visible)
    {
        IsOffscreen = !visible;
        _instance = Win32.GetModuleHandle(null);
        RegisterClassOnce(_instance);
        try
        {
            // The size asked for is the client area (the framebuffer); the frame and title bar come on top.
            var style = Win32.WsOverlappedWindow | (visible ? Win32.WsVisible : 0);
            var rect = new Win32.Rect { Right = width, Bottom = height };
            _ = Win32.AdjustWindowRectEx(ref rect, style, 0, 0);
            _creating = this;
            _window = Win32.CreateWindowEx(0, ClassName, title, style, Win32.CwUseDefault, Win32.CwUseDefault, rect.Right - rect.Left, rect.Bottom - rect.Top, 0, 0, _instance, 0);
            _creating = null;
            if (_window == 0)
            {
                throw new RenderException($"Windows could not create a {width}x{height} window (error {Win32.LastError}).");
            }

            lock (Hosts)
            {
                Hosts[_window] = this;
            }

            _dc = Win32.GetDC(_window);
            _context = CreateContext(_dc);
            _opengl32 = NativeLibrary.Load("opengl32.dll");
            if (GetProcAddress("wglSwapIntervalEXT") is var swapInterval and not 0)
            {
                _ = ((delegate* unmanaged<int, int>)swapInterval)(vsync && visible ? 1 : 0);
            }

            (Width, Height) = visible && Win32.GetClientRect(_window, out var client) != 0 && client.Right > 0
                ? (client.Right - client.Left, client.Bottom - client.Top)
                : (width, height);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Kind => IsOffscreen ? "headless (hidden WGL window)" : "window (Win32, WGL)";

    public bool IsOffscreen { get; }

    public int Width { get; private set; }

    public int Height { get; private set; }

    public bool CloseRequested => _closeRequested;

    /// <summary>GL 1.2+ functions come from wglGetProcAddress (which answers 0, 1, 2, 3 or -1 when it has none); GL 1.1
    /// ones are exported by opengl32.dll itself.</summary>
    public nint GetProcAddress(string name)
    {
        var address = Win32.WglGetProcAddress(name);
        if (address is 0 or 1 or 2 or 3 or -1)
        {
            address = _opengl32 != 0 && NativeLibrary.TryGetExport(_opengl32, name, out var export) ? export : 0;
        }

        return address;
    }

    public void RequestClose() => _closeRequested = true;

    public void PollEvents(Action<KeyPress> onKey, Action<MouseClick> onClick, Action<int, int> onResize)
    {
        while (Win32.PeekMessage(out var message, 0, 0, 0, Win32.PmRemove) != 0)
        {
            _ = Win32.TranslateMessage(message);
            _ = Win32.DispatchMessage(message);
        }

        while (_events.TryDequeue(out var e))
        {
            switch (e.Kind)
            {
                case HostEventKind.Key:
                    onKey(e.Key);
                    break;
                case HostEventKind.Click:
                    onClick(e.Click);
                    break;
                case HostEventKind.Resize:
                    (Width, Height) = (e.Width, e.Height);
                    onResize(e.Width, e.Height);
                    break;
            }
        }
    }

    public void Present()
    {
        if (!IsOffscreen)
        {
            _ = Win32.SwapBuffers(_dc);
        }
    }

    public void SetTitle(string title) => _ = Win32.SetWindowText(_window, title);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_context != 0)
        {
            _ = Win32.WglMakeCurrent(0, 0);
            _ = Win32.WglDeleteContext(_context);
        }

        if (_dc != 0)
        {
            _ = Win32.ReleaseDC(_window, _dc);
        }

        if (_window != 0)
        {
            lock (Hosts)
            {
                Hosts.Remove(_window);
            }

            _ = Win32.DestroyWindow(_window);
        }

        if (_opengl32 != 0)
        {
            NativeLibrary.Free(_opengl32);
        }
    }

    /// <summary>A legacy context first (wglGetProcAddress needs one current), then the 3.3 core context from
    /// wglCreateContextAttribsARB in its place.</summary>
    private static nint CreateContext(nint dc)
    {
        var format = new Win32.PixelFormat
        {
            Size = (ushort)sizeof(Win32.PixelFormat),
            Version = 1,
            Flags = Win32.PfdDrawToWindow | Win32.PfdSupportOpenGL | Win32.PfdDoubleBuffer,
            ColourBits = 32,
            AlphaBits = 8,
            DepthBits = 24,
            StencilBits = 8,
        };
        var index = Win32.ChoosePixelFormat(dc, format);
        if (index == 0 || Win32.SetPixelFormat(dc, index, format) == 0)
        {
            throw new RenderException($"Windows found no OpenGL pixel format (error {Win32.LastError}). Install your graphics card's driver.");
        }

        var legacy = Win32.WglCreateContext(dc);
        if (legacy == 0 || Win32.WglMakeCurrent(dc, legacy) == 0)
        {
            var error = Win32.LastError;
            if (legacy != 0)
            {
                _ = Win32.WglDeleteContext(legacy);
            }

            throw new RenderException($"Windows could not make an OpenGL context (error {error}). Install your graphics card's driver.");
        }

        var create = Win32.WglGetProcAddress("wglCreateContextAttribsARB");
        if (create is 0 or 1 or 2 or 3 or -1)
        {
            _ = Win32.WglMakeCurrent(0, 0);
            _ = Win32.WglDeleteContext(legacy);
            throw new RenderException("the OpenGL driver has no wglCreateContextAttribsARB, so no OpenGL 3.3 core context: install your graphics card's driver (Microsoft's GDI renderer offers only OpenGL 1.1).");
        }

        int* attributes = stackalloc int[]
        {
            Win32.WglContextMajorVersion, 3, Win32.WglContextMinorVersion, 3,
            Win32.WglContextProfileMask, Win32.WglContextCoreProfileBit, Win32.WglContextFlags, Win32.WglContextForwardCompatibleBit, 0,
        };
        var context = ((delegate* unmanaged<nint, nint, int*, nint>)create)(dc, 0, attributes);
        var createError = Marshal.GetLastSystemError(); // read now: the calls below set their own
        _ = Win32.WglMakeCurrent(0, 0);
        _ = Win32.WglDeleteContext(legacy);
        if (context == 0 || Win32.WglMakeCurrent(dc, context) == 0)
        {
            var error = context == 0 ? createError : Win32.LastError;
            if (context != 0)
            {
                _ = Win32.WglDeleteContext(context);
            }

            throw new RenderException($"the OpenGL driver could not make a 3.3 core context (error {error}). Update your graphics card's driver.");
        }

        return context;
    }

    [UnmanagedCallersOnly]
    private static nint WindowProc(nint window, uint message, nint wParam, nint lParam)
    {
        Win32WindowHost? host;
        lock (Hosts)
        {
            host = Hosts.GetValueOrDefault(window) ?? _creating;
        }

        if (host is null)
        {
            return Win32.DefWindowProc(window, message, wParam, lParam);
        }

        switch (message)
        {
            case Win32.WmClose:
                host._closeRequested = true; // the app closes the window when its loop ends
                return 0;
            case Win32.WmEraseBackground:
                return 1; // GL paints every pixel: no flash of the class background
            case Win32.WmSize when host._window != 0:
                int w = (int)(lParam & 0xFFFF), h = (int)((lParam >> 16) & 0xFFFF);
                if (w > 0 && h > 0)
                {
                    host._events.Enqueue(new HostEvent(HostEventKind.Resize, default, default, w, h));
                }

                return 0;
            case Win32.WmKeyDown or Win32.WmSysKeyDown:
                var code = KeyCode((int)wParam);
                var repeat = (lParam & (1 << 30)) != 0; // the key was already down: auto-repeat
                host._events.Enqueue(new HostEvent(HostEventKind.Key, new KeyPress(Enum.IsDefined((Key)code) ? (Key)code : Key.Unknown, code, repeat), default, 0, 0));
                return message == Win32.WmSysKeyDown ? Win32.DefWindowProc(window, message, wParam, lParam) : 0;
            case Win32.WmLeftButtonDown or Win32.WmRightButtonDown or Win32.WmMiddleButtonDown:
                float x = (short)(lParam & 0xFFFF), y = (short)((lParam >> 16) & 0xFFFF);
                host._events.Enqueue(new HostEvent(HostEventKind.Click, default, new MouseClick(x, y, message == Win32.WmLeftButtonDown ? 0 : message == Win32.WmRightButtonDown ? 1 : 2), 0, 0));
                return 0;
            default:
                return Win32.DefWindowProc(window, message, wParam, lParam);
        }
    }

    /// <summary>A Windows virtual-key code as the GLFW key code <see cref="Key"/> uses (letters, digits and space are
    /// the same; others are mapped; the rest are moved out of the way).</summary>
    internal static int KeyCode(int vk) => vk switch
    {
        0x08 => (int)Key.Backspace,
        0x09 => (int)Key.Tab,
        0x0D => (int)Key.Enter,
        0x1B => (int)Key.Escape,
        0x20 => (int)Key.Space,
        0x21 => (int)Key.PageUp,
        0x22 => (int)Key.PageDown,
        0x25 => (int)Key.Left,
        0x26 => (int)Key.Up,
        0x27 => (int)Key.Right,
        0x28 => (int)Key.Down,
        >= 0x30 and <= 0x39 or >= 0x41 and <= 0x5A => vk,
        _ => 0x10000 + vk,
    };

    /// <summary>Registers the window class the first time a window is made in this process.</summary>
    private static void RegisterClassOnce(nint instance)
    {
        lock (Registration)
        {
            if (_className != 0)
            {
                return;
            }

            var name = Marshal.StringToHGlobalUni(ClassName);
            var windowClass = new Win32.WindowClass
            {
                Size = (uint)sizeof(Win32.WindowClass),
                Style = Win32.CsOwnDc | Win32.CsHRedraw | Win32.CsVRedraw,
                WindowProc = (nint)(delegate* unmanaged<nint, uint, nint, nint, nint>)&WindowProc,
                Instance = instance,
                Cursor = Win32.LoadCursor(0, Win32.IdcArrow),
                ClassName = name,
            };
            if (Win32.RegisterClassEx(windowClass) == 0 && Win32.LastError is var error && error != Win32.ErrorClassAlreadyExists)
            {
                Marshal.FreeHGlobal(name);
                throw new RenderException($"Windows could not register the window class (error {error}).");
            }

            _className = name;
        }
    }

    private enum HostEventKind
    {
        Key,
        Click,
        Resize,
    }

    /// <summary>One window event, queued by the window procedure and raised by <see cref="PollEvents"/>.</summary>
    private readonly record struct HostEvent(HostEventKind Kind, KeyPress Key, MouseClick Click, int Width, int Height);
}
