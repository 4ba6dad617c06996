// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;

namespace ConvLive.App.Tests;

/// <summary>Tests that drive a real window share one X display: they run one at a time so each finds its own window.</summary>
[CollectionDefinition(Name)]
public sealed class XDisplayGroup
{
    public const string Name = "X display";
}

/// <summary>Tests that train through the backbone in a child process (seconds to a minute of both cores each) run one
/// at a time, so that beside the window tests a 2-core machine is not asked for four backbones at once.</summary>
[CollectionDefinition(Name)]
public sealed class TrainingRunsGroup
{
    public const string Name = "training runs";
}

/// <summary>Finds the app's window under Xvfb and drives it with xdotool, as a user would.</summary>
internal static class XWindow
{
    public static string WaitFor(string name, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            var (exit, found) = Xdotool("search", "--name", name);
            if (exit == 0 && found.Length > 0)
            {
                return found.Split('\n')[0].Trim();
            }

            Thread.Sleep(250);
        }

        Assert.Fail($"no window named {name} appeared within {timeout.TotalSeconds} s");
        return string.Empty;
    }

    public static (int Exit, string Output) Xdotool(params string[] args)
    {
        var start = new ProcessStartInfo("xdotool") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Trim());
    }
}
