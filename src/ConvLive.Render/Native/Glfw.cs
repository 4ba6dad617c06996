// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.InteropServices;

namespace ConvLive.Render.Native;

/// <summary>The part of GLFW 3.3 ConvLive uses (Debian libglfw3; glfw3.dll on Windows). Call from the main thread.</summary>
internal static unsafe partial class Glfw
{
    public const int True = 1;
    public const int False = 0;
    public const int ContextVersionMajor = 0x00022002;
    public const int ContextVersionMinor = 0x00022003;
    public const int OpenGLForwardCompat = 0x00022006;
    public const int OpenGLProfile = 0x00022008;
    public const int OpenGLCoreProfile = 0x00032001;
    public const int Visible = 0x00020004;
    public const int Press = 1;
    public const int Repeat = 2;

    static Glfw() => NativeLibraries.EnsureRegistered();

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwInit")]
    public static partial int Init();

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwTerminate")]
    public static partial void Terminate();

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwGetError")]
    public static partial int GetError(byte** description);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwWindowHint")]
    public static partial void WindowHint(int hint, int value);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwCreateWindow", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint CreateWindow(int width, int height, string title, nint monitor, nint share);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwDestroyWindow")]
    public static partial void DestroyWindow(nint window);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwMakeContextCurrent")]
    public static partial void MakeContextCurrent(nint window);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwGetProcAddress", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint GetProcAddress(string name);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwSwapInterval")]
    public static partial void SwapInterval(int interval);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwSwapBuffers")]
    public static partial void SwapBuffers(nint window);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwPollEvents")]
    public static partial void PollEvents();

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwWindowShouldClose")]
    public static partial int WindowShouldClose(nint window);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwSetWindowShouldClose")]
    public static partial void SetWindowShouldClose(nint window, int value);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwGetFramebufferSize")]
    public static partial void GetFramebufferSize(nint window, out int width, out int height);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwGetWindowSize")]
    public static partial void GetWindowSize(nint window, out int width, out int height);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwGetCursorPos")]
    public static partial void GetCursorPos(nint window, out double x, out double y);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwSetWindowTitle", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void SetWindowTitle(nint window, string title);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwSetWindowUserPointer")]
    public static partial void SetWindowUserPointer(nint window, nint pointer);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwGetWindowUserPointer")]
    public static partial nint GetWindowUserPointer(nint window);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwSetKeyCallback")]
    public static partial nint SetKeyCallback(nint window, delegate* unmanaged[Cdecl]<nint, int, int, int, int, void> callback);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwSetMouseButtonCallback")]
    public static partial nint SetMouseButtonCallback(nint window, delegate* unmanaged[Cdecl]<nint, int, int, int, void> callback);

    [LibraryImport(NativeLibraries.Glfw, EntryPoint = "glfwSetFramebufferSizeCallback")]
    public static partial nint SetFramebufferSizeCallback(nint window, delegate* unmanaged[Cdecl]<nint, int, int, void> callback);

    /// <summary>GLFW's last error as text, or "unknown error".</summary>
    public static string LastError()
    {
        byte* description = null;
        var code = GetError(&description);
        var text = description is null ? "unknown error" : Marshal.PtrToStringUTF8((nint)description) ?? "unknown error";
        return code == 0 ? "no GLFW error reported" : $"GLFW error 0x{code:X}: {text}";
    }
}
