// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;

namespace ConvLive.App.Tests;

/// <summary>Runs the real <c>convlive</c> program (the build beside the tests) as a child process.</summary>
internal static class ConvLiveProcess
{
    public static (int ExitCode, string Output, string Errors) Run(TimeSpan timeout, params string[] args) =>
        Run(timeout, null, null, args);

    /// <summary>Runs convlive with extra environment variables, calling <paramref name="whileRunning"/> once it started.</summary>
    public static (int ExitCode, string Output, string Errors) Run(TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, Action? whileRunning, params string[] args) =>
        RunIn(null, timeout, environment, whileRunning, args);

    /// <summary>Runs convlive in <paramref name="workingDirectory"/> (where keys write their files), calling
    /// <paramref name="whileRunning"/> once it started.</summary>
    public static (int ExitCode, string Output, string Errors) RunIn(string? workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, Action? whileRunning, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "convlive.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            whileRunning?.Invoke();
        }
        catch (Exception e) when (e is not OutOfMemoryException and not Xunit.SkipException)
        {
            // Say what the app was doing: had it exited (and why), or was it still running?
            var exited = process.HasExited;
            if (!exited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit();
            var tail = (string text) => text.Length > 3000 ? text[^3000..] : text;
            throw new Xunit.Sdk.XunitException($"{e.Message}\n{e.StackTrace}\nconvlive {(exited ? $"had exited with {process.ExitCode}" : "was still running (killed)")}; its output:\n{tail(output.GetAwaiter().GetResult())}\n{tail(errors.GetAwaiter().GetResult())}");
        }

        if (!process.WaitForExit(timeout))
        {
            // What it printed says where it stopped: before its closing summary (the loop), or after it (shutting down).
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
            var closed = Task.WaitAll([output, errors], TimeSpan.FromSeconds(10));
            var tail = (string text) => text.Length > 3000 ? text[^3000..] : text;
            Assert.Fail($"convlive {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s (killed); its output:\n"
                + (closed ? $"{tail(output.Result)}\n{tail(errors.Result)}" : "(its output did not close)"));
        }

        process.WaitForExit();
        return (process.ExitCode, output.GetAwaiter().GetResult(), errors.GetAwaiter().GetResult());
    }
}
