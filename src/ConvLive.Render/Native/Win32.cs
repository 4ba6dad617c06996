// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.InteropServices;

namespace ConvLive.Render.Native;

/// <summary>The part of user32, gdi32, opengl32 and kernel32 the Windows window host uses (every Windows has them:
/// nothing to install). Windows only; call from the render thread.</summary>
internal static unsafe partial class Win32
{
    public const uint WmDestroy = 0x0002, WmSize = 0x0005, WmClose = 0x0010, WmEraseBackground = 0x0014;
    public const uint WmKeyDown = 0x0100, WmSysKeyDown = 0x0104;
    public const uint WmLeftButtonDown = 0x0201, WmRightButtonDown = 0x0204, WmMiddleButtonDown = 0x0207;
    public const uint WsOverlappedWindow = 0x00CF0000, WsVisible = 0x10000000;
    public const uint CsOwnDc = 0x0020, CsHRedraw = 0x0002, CsVRedraw = 0x0001;
    public const int CwUseDefault = unchecked((int)0x80000000);
    public const uint PmRemove = 0x0001;
    public const uint PfdDoubleBuffer = 0x1, PfdDrawToWindow = 0x4, PfdSupportOpenGL = 0x20;
    public const int IdcArrow = 32512;

    // WGL_ARB_create_context and WGL_ARB_create_context_profile.
    public const int WglContextMajorVersion = 0x2091, WglContextMinorVersion = 0x2092, WglContextFlags = 0x2094;
    public const int WglContextProfileMask = 0x9126, WglContextCoreProfileBit = 0x1, WglContextForwardCompatibleBit = 0x2;

    [LibraryImport("kernel32.dll", EntryPoint = "GetModuleHandleW", StringMarshalling = StringMarshalling.Utf16)]
    public static partial nint GetModuleHandle(string? name);

    /// <summary>ERROR_CLASS_ALREADY_EXISTS: the window class is registered (by an earlier window of this process).</summary>
    public const int ErrorClassAlreadyExists = 1410;

    /// <summary>The last error of the last P/Invoke marked SetLastError (the runtime keeps it; a GetLastError call
    /// of our own could see one the runtime overwrote).</summary>
    public static int LastError => Marshal.GetLastPInvokeError();

    [LibraryImport("user32.dll", EntryPoint = "RegisterClassExW", SetLastError = true)]
    public static partial ushort RegisterClassEx(in WindowClass windowClass);

    [LibraryImport("user32.dll", EntryPoint = "CreateWindowExW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    public static partial nint CreateWindowEx(uint exStyle, string className, string title, uint style, int x, int y, int width, int height, nint parent, nint menu, nint instance, nint param);

    [LibraryImport("user32.dll", EntryPoint = "DestroyWindow")]
    public static partial int DestroyWindow(nint window);

    [LibraryImport("user32.dll", EntryPoint = "DefWindowProcW")]
    public static partial nint DefWindowProc(nint window, uint message, nint wParam, nint lParam);

    [LibraryImport("user32.dll", EntryPoint = "PeekMessageW")]
    public static partial int PeekMessage(out Message message, nint window, uint first, uint last, uint remove);

    [LibraryImport("user32.dll", EntryPoint = "TranslateMessage")]
    public static partial int TranslateMessage(in Message message);

    [LibraryImport("user32.dll", EntryPoint = "DispatchMessageW")]
    public static partial nint DispatchMessage(in Message message);

    [LibraryImport("user32.dll", EntryPoint = "AdjustWindowRectEx")]
    public static partial int AdjustWindowRectEx(ref Rect rect, uint style, int menu, uint exStyle);

    [LibraryImport("user32.dll", EntryPoint = "GetClientRect")]
    public static partial int GetClientRect(nint window, out Rect rect);

    [LibraryImport("user32.dll", EntryPoint = "SetWindowTextW", StringMarshalling = StringMarshalling.Utf16)]
    public static partial int SetWindowText(nint window, string text);

    [LibraryImport("user32.dll", EntryPoint = "LoadCursorW")]
    public static partial nint LoadCursor(nint instance, nint name);

    [LibraryImport("user32.dll", EntryPoint = "GetDC")]
    public static partial nint GetDC(nint window);

    [LibraryImport("user32.dll", EntryPoint = "ReleaseDC")]
    public static partial int ReleaseDC(nint window, nint dc);

    [LibraryImport("gdi32.dll", EntryPoint = "ChoosePixelFormat", SetLastError = true)]
    public static partial int ChoosePixelFormat(nint dc, in PixelFormat format);

    [LibraryImport("gdi32.dll", EntryPoint = "SetPixelFormat", SetLastError = true)]
    public static partial int SetPixelFormat(nint dc, int index, in PixelFormat format);

    [LibraryImport("gdi32.dll", EntryPoint = "SwapBuffers")]
    public static partial int SwapBuffers(nint dc);

    [LibraryImport("opengl32.dll", EntryPoint = "wglCreateContext", SetLastError = true)]
    public static partial nint WglCreateContext(nint dc);

    [LibraryImport("opengl32.dll", EntryPoint = "wglDeleteContext")]
    public static partial int WglDeleteContext(nint context);

    [LibraryImport("opengl32.dll", EntryPoint = "wglMakeCurrent", SetLastError = true)]
    public static partial int WglMakeCurrent(nint dc, nint context);

    [LibraryImport("opengl32.dll", EntryPoint = "wglGetProcAddress", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint WglGetProcAddress(string name);

    /// <summary>WNDCLASSEXW.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct WindowClass
    {
        public uint Size;
        public uint Style;
        public nint WindowProc;
        public int ClassExtra;
        public int WindowExtra;
        public nint Instance;
        public nint Icon;
        public nint Cursor;
        public nint Background;
        public nint MenuName;
        public nint ClassName;
        public nint SmallIcon;
    }

    /// <summary>MSG.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Message
    {
        public nint Window;
        public uint Id;
        public nint WParam;
        public nint LParam;
        public uint Time;
        public int X;
        public int Y;
        public uint Private;
    }

    /// <summary>RECT.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Rect
    {
        public int Left;
        public int Top;
        public int Right;
        public int Bottom;
    }

    /// <summary>PIXELFORMATDESCRIPTOR (40 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PixelFormat
    {
        public ushort Size;
        public ushort Version;
        public uint Flags;
        public byte PixelType;
        public byte ColourBits;
        public byte RedBits, RedShift, GreenBits, GreenShift, BlueBits, BlueShift, AlphaBits, AlphaShift;
        public byte AccumBits, AccumRedBits, AccumGreenBits, AccumBlueBits, AccumAlphaBits;
        public byte DepthBits;
        public byte StencilBits;
        public byte AuxBuffers;
        public byte LayerType;
        public byte Reserved;
        public uint LayerMask;
        public uint VisibleMask;
        public uint DamageMask;
    }
}
