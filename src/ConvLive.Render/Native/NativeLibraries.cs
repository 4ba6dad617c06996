// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Reflection;
using System.Runtime.InteropServices;

namespace ConvLive.Render.Native;

/// <summary>Maps the logical library names of our P/Invokes to each platform's file names, once per process.</summary>
internal static class NativeLibraries
{
    public const string Glfw = "glfw";
    public const string Egl = "egl";

    private static int _registered;

    public static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        string[] candidates = name switch
        {
            Glfw when OperatingSystem.IsWindows() => ["glfw3.dll", "glfw.dll"],
            Glfw when OperatingSystem.IsMacOS() => ["libglfw.3.dylib", "libglfw.dylib"],
            Glfw => ["libglfw.so.3", "libglfw.so"],
            Egl when OperatingSystem.IsWindows() => ["libEGL.dll"],
            Egl => ["libEGL.so.1", "libEGL.so"],
            _ => [],
        };
        foreach (var candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle))
            {
                return handle;
            }
        }

        return 0;
    }
}
