// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.Tests;
using Google.Protobuf;
using Onnx;
using OpenCvSharp;

namespace ConvLive.App.Tests;

/// <summary>Kills a process at random moments while it saves samples and a model through the app's save paths:
/// every file left must be whole, and no sample it reported saved may be lost.</summary>
public sealed class SaveDrillTests
{
    [Fact]
    public void KillingTheProcessMidSaveNeverLeavesABrokenFileOrLosesASample()
    {
        using var temp = new TempFolder();
        var random = new Random(11);
        var confirmed = new HashSet<string>();
        var kills = 0;
        for (var round = 0; round < 30; round++)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "convlive.dll"));
            foreach (var a in new[] { "save-drill", "--folder", temp.Path })
            {
                start.ArgumentList.Add(a);
            }

            using var process = Process.Start(start)!;
            var lines = new List<string>();
            var firstSave = new ManualResetEventSlim();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    lock (lines)
                    {
                        lines.Add(line);
                    }

                    firstSave.Set();
                }
            };
            process.BeginOutputReadLine();
            Assert.True(firstSave.Wait(TimeSpan.FromSeconds(60)), "the drill never saved anything");
            Thread.Sleep(random.Next(0, 400)); // a random moment: mid-encode, mid-write, mid-rename or between saves
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            kills++;
            lock (lines)
            {
                confirmed.UnionWith(lines.Where(l => l.StartsWith("sample ", StringComparison.Ordinal)).Select(l => l[7..]));
            }

            Check(temp.Path, confirmed);
        }

        Assert.Equal(30, kills);
        Assert.True(confirmed.Count >= 30, $"only {confirmed.Count} samples confirmed");

        // The next start (live, with this folder as its samples) removes what the kills left half-written.
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2),
            "live", "--source", "synthetic", "--model", "none", "--device", "cpu", "--headless", "--frames", "3", "--samples", temp.Path);
        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path, "*" + Engine.IO.AtomicFile.TempMarker + "*", SearchOption.AllDirectories));
        Check(temp.Path, confirmed);
    }

    private static void Check(string root, HashSet<string> confirmed)
    {
        var folder = Path.Combine(root, "drill");
        var files = Directory.GetFiles(folder, "*.png").Select(Path.GetFileName).ToHashSet();
        foreach (var name in confirmed)
        {
            Assert.Contains(name, files); // never lost
        }

        foreach (var file in Directory.GetFiles(folder, "*.png"))
        {
            using var image = Cv2.ImRead(file, ImreadModes.Unchanged);
            Assert.False(image.Empty(), $"{file} does not decode");
            Assert.Equal(160, image.Width);
        }

        var head = Path.Combine(root, "head.onnx");
        if (File.Exists(head))
        {
            ModelProto? model = null;
            try
            {
                model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(head));
            }
            catch (InvalidProtocolBufferException)
            {
            }

            var w = model?.Graph?.Initializer.FirstOrDefault();
            Assert.True(w is not null && w.Dims[0] == w.RawData.Length, $"{head} is broken: {new FileInfo(head).Length} bytes that do not hold the whole model");
        }
    }
}
