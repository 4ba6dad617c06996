// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using OpenCvSharp;

namespace ConvLive.Capture;

/// <summary>
/// Whether OpenCV's native library (OpenCvSharpExtern) can be loaded, asked once. Only cameras, video files, picture
/// files, recording and OpenCV DNN need it; the synthetic source, the window's text, PNG writing, the engine and
/// every command on .npy or ONNX files run without it. Its absence is said in one line naming the package, where it
/// is first needed, instead of a type-initialiser trace.
/// </summary>
public static class OpenCvLibrary
{
    private static readonly Lazy<string?> Problem = new(Probe);

    /// <summary>True when OpenCV's native library loads.</summary>
    public static bool Available => Problem.Value is null;

    /// <summary>What brings the library on this platform.</summary>
    public static string Fix => OperatingSystem.IsWindows()
        ? "it comes with the NuGet package OpenCvSharp4.runtime.win, restored when ConvLive is built or published on Windows (a win-x64 build made on Linux has none)"
        : "it comes with the NuGet package OpenCvSharp4.official.runtime.linux-x64 (dotnet restore; ./convlive does it)";

    /// <summary>Throws <see cref="OpenCvMissingException"/> naming <paramref name="what"/> when the library is absent.</summary>
    /// <param name="what">What needed it ("video:clip.mp4", "reading pictures").</param>
    public static void Require(string what)
    {
        if (Problem.Value is { } problem)
        {
            throw new OpenCvMissingException(Message(what), problem);
        }
    }

    /// <summary>The one line for <paramref name="what"/> when the library is absent, else null.</summary>
    /// <param name="what">What needed it.</param>
    /// <returns>The line, or null.</returns>
    public static string? Missing(string what) => Problem.Value is null ? null : Message(what);

    /// <summary>True when <paramref name="e"/> (or what caused it) is OpenCV's native library failing to load.</summary>
    /// <param name="e">An exception that reached the top.</param>
    /// <returns>Whether it was.</returns>
    public static bool IsMissing(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is OpenCvMissingException || (x is DllNotFoundException && x.Message.Contains("OpenCvSharpExtern", StringComparison.Ordinal))
                || (x is TypeInitializationException t && t.TypeName?.StartsWith("OpenCvSharp", StringComparison.Ordinal) == true))
            {
                return true;
            }
        }

        return false;
    }

    private static string Message(string what) =>
        $"{what} needs OpenCV's native library (OpenCvSharpExtern), which did not load ({Problem.Value?.TrimEnd('.')}): {Fix}. Without it, --source synthetic, the engine and the commands on .npy and ONNX files work.";

    /// <summary>Loads the library the way OpenCvSharp's P/Invokes will (the app's deps.json, then the system's
    /// search), without touching OpenCvSharp's types: a failed type initialiser cannot be retried, and under Wine
    /// asking OpenCvSharp a second time after a failed load never returned. Returns the loader's reason, or null.</summary>
    private static string? Probe()
    {
        var assembly = typeof(Mat).Assembly;
        string? why = null;
        foreach (var name in OperatingSystem.IsWindows() ? new[] { "OpenCvSharpExtern", "OpenCvSharpExtern.dll" } : ["OpenCvSharpExtern", "libOpenCvSharpExtern.so"])
        {
            try
            {
                System.Runtime.InteropServices.NativeLibrary.Load(name, assembly, null);
                return null;
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                why ??= FirstLine(e.Message); // the loader's words: missing, or present with a dependency missing
            }
        }

        return why;
    }

    /// <summary>The loader's first sentence (Linux's goes on with advice and every path it tried), at most 200 characters.</summary>
    private static string FirstLine(string message)
    {
        // Linux lists each path it tried with the loader's reason ("...so: cannot open shared object file"); that
        // line says more than the first sentence, which is always the same.
        var lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var line = lines.FirstOrDefault(l => l.Contains(".so: ", StringComparison.Ordinal)) ?? (lines.Length > 0 ? lines[0] : message);
        var end = line.Contains(".so: ", StringComparison.Ordinal) ? -1 : line.IndexOf(". ", StringComparison.Ordinal);
        line = end > 0 ? line[..end] : line;
        return line.Length <= 200 ? line : line[..200] + "...";
    }
}

/// <summary>OpenCV's native library is needed and absent; the message names what needed it and the package.</summary>
public sealed class OpenCvMissingException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One line: what needed OpenCV and where the library comes from.</param>
    /// <param name="detail">Why the library did not load.</param>
    public OpenCvMissingException(string message, string detail)
        : base(message) => Detail = detail;

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The line.</param>
    public OpenCvMissingException(string message)
        : base(message) => Detail = string.Empty;

    /// <summary>Creates the exception with a generic line.</summary>
    public OpenCvMissingException()
        : this("OpenCV's native library is not here")
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">The line.</param>
    /// <param name="innerException">The cause.</param>
    public OpenCvMissingException(string message, Exception innerException)
        : base(message, innerException) => Detail = innerException?.Message ?? string.Empty;

    /// <summary>Why the library did not load (the loader's words).</summary>
    public string Detail { get; }
}
