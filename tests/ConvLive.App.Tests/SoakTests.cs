// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.Tests;

namespace ConvLive.App.Tests;

/// <summary>The soak (scripts/soak.sh: AlexNet live with Grad-CAM, the top-9 filling, recording and a training run
/// every few seconds), in the short version CI has time for; the 20-minute run's figures are in BENCHMARKS.md.</summary>
[Collection(TrainingRunsGroup.Name)]
public sealed class SoakTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [SkippableFact]
    public void EverythingAtOnceStaysFlatKeepsItsRateRecordsAndLosesNoTraining()
    {
        Skip.IfNot(File.Exists("/usr/bin/ffprobe"), "ffprobe is not installed (./test.sh installs ffmpeg)");
        var script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "scripts", "soak.sh"));
        Skip.IfNot(File.Exists(script), $"no {script} beside the tests");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { script, "45", "15", "5" })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["SOAK_OUT"] = _folder.File("soak");
        start.Environment["CONVLIVE_DLL"] = Path.Combine(AppContext.BaseDirectory, "convlive.dll");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(6)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the soak did not finish within 6 minutes");
        }

        var text = output.GetAwaiter().GetResult() + errors.GetAwaiter().GetResult();
        Assert.True(process.ExitCode == 0, $"soak exit {process.ExitCode}\n{text}");
        Assert.Equal(7, text.Split('\n').Count(l => l.StartsWith("ok    ", StringComparison.Ordinal))); // every check ran and held
    }

    public void Dispose() => _folder.Dispose();
}
