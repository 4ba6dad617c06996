// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.Engine.IO;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.IO;

/// <summary>What interrupted saves leave is swept at the next start: only temporary names, only a gone writer's.</summary>
public sealed class AtomicFileSweepTests
{
    [Fact]
    public void OnlyTheTemporaryEntriesOfWritersThatAreGoneAreRemoved()
    {
        using var folder = new TempFolder();
        var gone = ExitedProcessId();
        using var alive = Process.Start(new ProcessStartInfo("sleep", "30") { RedirectStandardOutput = true })!;
        try
        {
            Thread.Sleep(50);
            var own = Environment.ProcessId;
            var sub = Directory.CreateDirectory(folder.File("class1")).FullName;
            string[] litter = [$"head.onnx.convlive-tmp-{gone}", $"clip.convlive-tmp-{gone}.mp4", $"class1/3.png.convlive-tmp-{gone}"];
            string[] kept = [$"mine.png.convlive-tmp-{own}", $"theirs.png.convlive-tmp-{alive.Id}", "a.convlive-tmp-notapid", "notes.convlive-tmp-12.txt.bak", $"export.tmp-{gone}", $"user.tmp-{gone}.txt", "head.onnx", "class1/3.png"];
            foreach (var name in litter.Concat(kept))
            {
                File.WriteAllText(folder.File(name), "x");
            }

            Directory.CreateDirectory(folder.File($"convlive-top9-conv1-1.convlive-tmp-{gone}"));
            File.WriteAllText(Path.Combine(folder.File($"convlive-top9-conv1-1.convlive-tmp-{gone}"), "channel-000.png"), "x");

            Assert.Equal(0, AtomicFile.Sweep(sub + "-missing"));
            Assert.Equal(3, AtomicFile.Sweep(folder.Path)); // the top level: two files and the folder
            Assert.True(File.Exists(folder.File($"class1/3.png.convlive-tmp-{gone}")), "not recursive unless asked");
            Assert.Equal(1, AtomicFile.Sweep(folder.Path, recursive: true));
            foreach (var name in kept)
            {
                Assert.True(File.Exists(folder.File(name)), $"{name} was removed");
            }

            Assert.DoesNotContain(litter, n => File.Exists(folder.File(n)));
            Assert.False(Directory.Exists(folder.File($"convlive-top9-conv1-1.convlive-tmp-{gone}")));
        }
        finally
        {
            alive.Kill();
        }
    }

    [Fact]
    public void ATemporaryNameKeepsTheExtensionForVideoWriters()
    {
        Assert.Equal($"/x/clip.convlive-tmp-{Environment.ProcessId}.mp4", AtomicFile.TemporaryKeepingExtension("/x/clip.mp4"));
        Assert.True(AtomicFile.IsTemporary(AtomicFile.TemporaryKeepingExtension("/x/clip.mp4")));
    }

    /// <summary>The PID of a process that has exited (and, with PIDs handed out in order, is not reused at once).</summary>
    private static int ExitedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("true"))!;
        process.WaitForExit();
        return process.Id;
    }
}
