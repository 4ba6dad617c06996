// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;

namespace ConvLive.App.Tests;

/// <summary>scripts/export_check.py under Debian's Python: onnx.checker (full_check) and OpenCV DNN 4.6 on an export.</summary>
internal static class ExportCheckScript
{
    private const string Python = "/usr/bin/python3";

    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "export_check.py");

    /// <summary>Whether Debian's python3-onnx and python3-opencv import, and why not.</summary>
    public static (bool Ok, string Why) Available()
    {
        if (!File.Exists(Python))
        {
            return (false, "no /usr/bin/python3 (./test.sh installs python3-onnx and python3-opencv)");
        }

        var (exit, text) = Start("-c", "import onnx, cv2");
        return exit == 0 ? (true, string.Empty) : (false, $"python3-onnx or python3-opencv is not installed (./test.sh installs them): {text.Trim()}");
    }

    /// <summary>Runs the script; returns its exit code and everything it printed.</summary>
    public static (int Exit, string Text) Run(string model, string inputs, string outputs) => Start(Script, model, inputs, outputs);

    private static (int Exit, string Text) Start(params string[] args)
    {
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "export_check.py did not finish within 2 minutes");
        }

        return (process.ExitCode, output.Result + errors.Result);
    }
}
