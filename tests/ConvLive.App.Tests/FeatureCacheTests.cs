// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.App.Training;
using ConvLive.Tests;

namespace ConvLive.App.Tests;

/// <summary>The feature cache beside a data set: reuse, invalidation, damaged files never trusted, and a
/// <c>train</c> interrupted with Ctrl+C resuming where it stopped.</summary>
[Collection(TrainingRunsGroup.Name)]
public sealed class FeatureCacheTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly List<string> _warnings = [];

    [Fact]
    public void PicturesComeBackUntilTheyChangeAndAnotherKeyStartsAfresh()
    {
        var pictures = Pictures(3);
        using (var cache = Open("key A"))
        {
            for (var i = 0; i < 3; i++)
            {
                cache.Add(pictures[i], Views(i), Stamp(pictures[i]));
            }
        }

        using (var cache = Open("key A"))
        {
            Assert.Equal(3, cache.Loaded);
            Assert.True(cache.TryGet(pictures[1], out var views));
            Assert.Equal(Views(1)[1], views[1]);
            File.SetLastWriteTimeUtc(pictures[2], DateTime.UtcNow.AddMinutes(5)); // the picture changed
            Assert.False(cache.TryGet(pictures[2], out _));
            Assert.False(cache.TryGet(_folder.File("other.png"), out _));
        }

        Assert.Empty(_warnings);
        using (var cache = Open("key B"))
        {
            Assert.Equal(0, cache.Loaded);
        }

        using (var cache = Open("key B"))
        {
            Assert.Equal(0, cache.Loaded); // key B's own (empty) file, not key A's
        }

        Assert.Empty(_warnings);
    }

    [Theory]
    [InlineData("cut")]
    [InlineData("flip")]
    [InlineData("header")]
    public void ADamagedFileIsTrustedOnlyUpToItsLastGoodRecordAndThenResumes(string damage)
    {
        var pictures = Pictures(3);
        string path;
        using (var cache = Open("key"))
        {
            path = cache.Path;
            foreach (var (p, i) in pictures.Select((p, i) => (p, i)))
            {
                cache.Add(p, Views(i), Stamp(p));
            }
        }

        var bytes = File.ReadAllBytes(path);
        var record = (bytes.Length - Header(path)) / 3;
        switch (damage)
        {
            case "cut":
                File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - (record / 2)).ToArray()); // mid third record
                break;
            case "flip":
                bytes[^(record / 2)] ^= 0x40; // a feature byte of the third record
                File.WriteAllBytes(path, bytes);
                break;
            default:
                bytes[0] ^= 1;
                File.WriteAllBytes(path, bytes);
                break;
        }

        using (var cache = Open("key"))
        {
            var expected = damage == "header" ? 0 : 2;
            Assert.Equal(expected, cache.Loaded);
            Assert.Single(_warnings);
            Assert.False(cache.TryGet(pictures[2], out _));
            cache.Add(pictures[2], Views(2), Stamp(pictures[2]));
        }

        using (var again = Open("key"))
        {
            Assert.True(again.TryGet(pictures[2], out var views));
            Assert.Equal(Views(2)[0], views[0]);
        }
    }

    /// <summary>A fuzzer with a stable seed, as the model importer has: 300 mutations of a valid file (bytes flipped,
    /// cut, duplicated, zeroed). Opening never throws, loads at most the good records, and whatever it returns for a
    /// picture is exactly what was written for it.</summary>
    [Fact]
    public void MutatedCacheFilesNeverThrowAndNeverGiveWrongFeatures()
    {
        var pictures = Pictures(4);
        string path;
        using (var cache = Open("fuzz"))
        {
            path = cache.Path;
            for (var i = 0; i < 4; i++)
            {
                cache.Add(pictures[i], Views(i), Stamp(pictures[i]));
            }
        }

        var original = File.ReadAllBytes(path);
        var random = new Random(20261202);
        for (var round = 0; round < 300; round++)
        {
            var bytes = original.ToList();
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                var at = random.Next(bytes.Count);
                switch (random.Next(4))
                {
                    case 0:
                        bytes[at] ^= (byte)(1 << random.Next(8));
                        break;
                    case 1:
                        bytes.RemoveRange(at, bytes.Count - at);
                        break;
                    case 2:
                        bytes.InsertRange(at, bytes.GetRange(at, Math.Min(16, bytes.Count - at)));
                        break;
                    default:
                        for (var k = at; k < Math.Min(bytes.Count, at + 8); k++)
                        {
                            bytes[k] = 0;
                        }

                        break;
                }

                if (bytes.Count == 0)
                {
                    break;
                }
            }

            File.WriteAllBytes(path, [.. bytes]);
            using var cache = Open("fuzz");
            Assert.InRange(cache.Loaded, 0, 4);
            for (var i = 0; i < 4; i++)
            {
                if (cache.TryGet(pictures[i], out var views))
                {
                    Assert.Equal(Views(i), views);
                }
            }
        }
    }

    [SkippableFact]
    public void TrainInterruptedByCtrlCResumesFromTheCache()
    {
        // 12 views a picture: the features take ~25 s on 2 cores, a wide window for the Ctrl+C even when a loaded CI
        // machine starves this test's thread (a CI run once saw 4 views' 8 s pass before the signal went out).
        var data = _folder.File("shapes");
        ShapesDataset.Write(data, perClass: 20, seed: 21);
        string[] args = ["train", "--data", data, "--backbone", "resnet18-features", "--out", _folder.File("h.onnx"), "--device", "cpu", "--views", "12", "--epochs", "5"];
        // Through `env --default-signal=INT`: a test run started in the background by a non-interactive shell inherits
        // SIGINT ignored, and an ignored signal stays ignored in every child; Ctrl+C must reach convlive's handler.
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "convlive.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using (var process = Process.Start(start)!)
        {
            var errors = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEndAsync();
            var cacheFolder = Path.Combine(data, ".convlive-cache");
            var clock = Stopwatch.StartNew();
            while (!(Directory.Exists(cacheFolder) && Directory.GetFiles(cacheFolder).Any(f => new FileInfo(f).Length > 20_000)) && clock.Elapsed < TimeSpan.FromMinutes(2))
            {
                Thread.Sleep(20);
            }

            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "no picture's features reached the cache");
            Assert.Equal(0, Sys.Kill(process.Id, 2)); // SIGINT: Ctrl+C
            Assert.True(process.WaitForExit(60_000));
            Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}\n{output.Result}\n{errors.Result}");
            Assert.Contains("run the same command again", errors.Result, StringComparison.Ordinal);
        }

        var (code, text, err) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), args);
        Assert.True(code == 0, $"exit {code}\n{text}\n{err}");
        var line = text.Split('\n').Single(l => l.StartsWith("feature cache:", StringComparison.Ordinal));
        var reused = int.Parse(line.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(reused, 1, 59); // some from the interrupted run, the rest computed now
        Assert.Contains($"{60 - reused} computed", line, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();

    private FeatureCache Open(string key) => FeatureCache.Open(_folder.Path, key, 5, 3, _warnings.Add)!;

    private List<string> Pictures(int n) => Enumerable.Range(0, n).Select(i =>
    {
        var path = _folder.File($"p{i}.png");
        File.WriteAllBytes(path, [(byte)i, 1, 2, 3]);
        return path;
    }).ToList();

    private static (long, long) Stamp(string path) => (new FileInfo(path).Length, new FileInfo(path).LastWriteTimeUtc.Ticks);

    private static float[][] Views(int seed) => Enumerable.Range(0, 3).Select(v => Enumerable.Range(0, 5).Select(k => (seed * 100) + (v * 10) + k + 0.5f).ToArray()).ToArray();

    /// <summary>The header's length: magic, version, width, views, key length and the key.</summary>
    private static int Header(string path) => 20 + BitConverter.ToInt32(File.ReadAllBytes(path), 16);

    private static class Sys
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
