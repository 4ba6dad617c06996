// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.InteropServices;

namespace ConvLive.Render.Native;

/// <summary>The part of EGL 1.5 ConvLive uses for surfaceless headless rendering (Debian libegl1 + Mesa).</summary>
internal static partial class Egl
{
    public const int None = 0x3038;
    public const int Success = 0x3000;
    public const int RenderableType = 0x3040;
    public const int SurfaceType = 0x3033;
    public const int OpenGLBit = 0x0008;
    public const int OpenGLApi = 0x30A2;
    public const int ContextMajorVersion = 0x3098;
    public const int ContextMinorVersion = 0x30FB;
    public const int ContextOpenGLProfileMask = 0x30FD;
    public const int ContextOpenGLCoreProfileBit = 0x0001;
    public const int PlatformSurfacelessMesa = 0x31DD;

    static Egl() => NativeLibraries.EnsureRegistered();

    [LibraryImport(NativeLibraries.Egl, EntryPoint = "eglGetProcAddress", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint GetProcAddress(string name);

    [LibraryImport(NativeLibraries.Egl, EntryPoint = "eglGetError")]
    public static partial int GetError();

    [LibraryImport(NativeLibraries.Egl, EntryPoint = "eglInitialize")]
    public static partial int Initialize(nint display, out int major, out int minor);

    [LibraryImport(NativeLibraries.Egl, EntryPoint = "eglTerminate")]
    public static partial int Terminate(nint display);

    [LibraryImport(NativeLibraries.Egl, EntryPoint = "eglBindAPI")]
    public static partial int BindApi(int api);

    [LibraryImport(NativeLibraries.Egl, EntryPoint = "eglChooseConfig")]
    public static partial int ChooseConfig(nint display, int[] attributes, nint[] configs, int size, out int count);

    [LibraryImport(NativeLibraries.Egl, EntryPoint = "eglCreateContext")]
    public static partial nint CreateContext(nint display, nint config, nint shareContext, int[] attributes);

    [LibraryImport(NativeLibraries.Egl, EntryPoint = "eglDestroyContext")]
    public static partial int DestroyContext(nint display, nint context);

    [LibraryImport(NativeLibraries.Egl, EntryPoint = "eglMakeCurrent")]
    public static partial int MakeCurrent(nint display, nint draw, nint read, nint context);

    [LibraryImport(NativeLibraries.Egl, EntryPoint = "eglReleaseThread")]
    public static partial int ReleaseThread();

    /// <summary>eglGetPlatformDisplay (EGL 1.5) or its EXT form, found at run time.</summary>
    public static unsafe nint GetPlatformDisplay(int platform, nint nativeDisplay)
    {
        var fn = GetProcAddress("eglGetPlatformDisplay");
        if (fn == 0)
        {
            fn = GetProcAddress("eglGetPlatformDisplayEXT");
        }

        if (fn == 0)
        {
            return 0;
        }

        var none = stackalloc nint[] { None };
        return ((delegate* unmanaged[Cdecl]<int, nint, nint*, nint>)fn)(platform, nativeDisplay, none);
    }
}
