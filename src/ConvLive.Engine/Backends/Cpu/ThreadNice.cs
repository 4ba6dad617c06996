// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.InteropServices;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// The calling thread's scheduling niceness on Linux (.NET's Thread.Priority does nothing there). A live app
/// raises the niceness of its inference threads so that, on a machine with few cores, the display thread and the
/// rasteriser win the cores when both want them: the picture stays smooth, inference takes what is left.
/// </summary>
public static partial class ThreadNice
{
    private const int PrioProcess = 0;

    /// <summary>Sets the calling thread's niceness (0 normal … 19 lowest); false where the platform refuses or has none.</summary>
    /// <param name="nice">The niceness; raising it needs no privilege.</param>
    /// <returns>True when it took effect.</returns>
    public static bool TrySet(int nice)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return SetPriority(PrioProcess, GetThreadId(), Math.Clamp(nice, -20, 19)) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The calling thread's niceness, or 0 where it cannot be read.</summary>
    /// <returns>The niceness.</returns>
    public static int Current()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        try
        {
            var stat = File.ReadAllText($"/proc/self/task/{GetThreadId()}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture); // field 19: nice
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>The calling thread's kernel id (Linux), as /proc/self/task names it.</summary>
    internal static int NativeThreadId() => GetThreadId();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}
