// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using ConvLive.Engine.IO;
using ConvLive.Engine.Models;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;
using OpenCvSharp;

namespace ConvLive.App.Tests;

/// <summary>
/// The Windows build, as a Windows user gets it (the self-contained win-x64 publish that ./test.sh makes with
/// scripts/windows-build.sh), run under Wine on this Linux machine: the same numbers as the Linux build, the
/// conformance suite, and the live view in a real Win32 window with a WGL context (no glfw3.dll anywhere) and headless.
/// </summary>
[Collection(XDisplayGroup.Name)]
public sealed class WindowsBuildTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private readonly TempFolder _folder = new();
    private int _runs;

    /// <summary>convlive.exe, or null when ./test.sh made none (Wine is not installed).</summary>
    private static string? Exe => Environment.GetEnvironmentVariable("CONVLIVE_WINDOWS_BUILD") is { Length: > 0 } exe && File.Exists(exe) ? exe : null;

    [SkippableTheory]
    [InlineData("alexnet")]
    [InlineData("resnet18")]
    public void InferUnderWineGivesTheLinuxBuildsNumbers(string network)
    {
        SkipWithoutWine();
        var model = network == "alexnet"
            ? SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 11, width: 0.5), _folder.File("alexnet.onnx"))
            : Path.Combine(AppContext.BaseDirectory, "models", "resnet18", "ResNet18Onnx", "ResNet18.onnx");
        var random = new Random(5);
        var x = new float[3 * 224 * 224];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var input = _folder.File("x.npy");
        NpyFile.Write(input, new TensorShape(1, 3, 224, 224), x);
        // Both builds read the convolution algorithms the first timed from one file (the Wine run sees AVX2 only and
        // would time its own): the same algorithms give the same bits.
        var choices = new Dictionary<string, string> { ["CONVLIVE_CONV_CHOICES"] = _folder.File("conv-choices.json") };
        var (linuxExit, linuxOut, linuxErr) = ConvLiveProcess.Run(Timeout, choices, null, "infer", "--model", model, "--input", input, "--output", _folder.File("linux.npy"), "--device", "cpu");
        Assert.True(linuxExit == 0, $"linux exit {linuxExit}\n{linuxOut}\n{linuxErr}");
        var (exit, output, errors) = Wine("infer", "--model", WindowsPath(model), "--input", WindowsPath(input), "--output", WindowsPath(_folder.File("windows.npy")), "--device", "cpu");
        Assert.True(exit == 0, $"wine exit {exit}\n{output}\n{errors}");
        Assert.Contains(@"-> Z:\", output, StringComparison.Ordinal); // the Windows build took and printed a drive-letter path

        var expected = NpyFile.Read(_folder.File("linux.npy"));
        var actual = NpyFile.Read(_folder.File("windows.npy"));
        Assert.Equal(expected.Shape.ToString(), actual.Shape.ToString());
        AssertClose(expected.Data, actual.Data, atol: 1e-5, rtol: 1e-4);
    }

    [SkippableFact]
    public void ConformanceUnderWinePassesWhatTheLinuxBuildPasses()
    {
        SkipWithoutWine();
        var (linuxExit, linuxOut, linuxErr) = ConvLiveProcess.Run(Timeout, "conformance", "--device", "cpu");
        Skip.If(linuxExit == 2 && linuxErr.Contains("no test suite", StringComparison.Ordinal), "Debian's libonnx-testdata is not installed (./test.sh installs it)");
        Assert.True(linuxExit == 0, $"linux exit {linuxExit}\n{linuxErr}");
        string[] suites = [.. Engine.Conformance.ConformanceRunner.DefaultSuites.Where(Directory.Exists).SelectMany(s => new[] { "--suite", WindowsPath(s) })];
        var (exit, output, errors) = Wine(["conformance", "--device", "cpu", .. suites]);
        Assert.True(exit == 0, $"wine exit {exit}\n{output[^Math.Min(2000, output.Length)..]}\n{errors}");
        Assert.Equal(Summary(linuxOut), Summary(output)); // e.g. "199 passed, 0 failed, 815 skipped"
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void LiveUnderWineShowsTheNetworkInAWin32WindowAndHeadless(bool headless)
    {
        SkipWithoutWine();
        Skip.If(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")), "Wine's OpenGL needs an X display (./test.sh runs the tests under Xvfb)");
        var folder = Path.GetDirectoryName(Exe)!;
        Assert.Empty(Directory.EnumerateFiles(folder, "glfw*.dll", SearchOption.AllDirectories)); // nothing to download by hand
        var shot = _folder.File("live.png");
        string[] args = ["live", "--source", "synthetic", "--model", "resnet18-features", "--device", "cpu", "--frames", "60", "--size", "960x540",
            "--screenshot", WindowsPath(shot), "--samples", WindowsPath(_folder.File("samples")), .. headless ? new[] { "--headless" } : []];
        var (exit, output, errors) = Wine(args);

        Assert.True(exit == 0, $"wine exit {exit}\n{output}\n{errors}");
        Assert.Contains(headless ? "display: headless (hidden WGL window)" : "display: window (Win32, WGL)", output, StringComparison.Ordinal);
        using var image = Cv2.ImRead(shot);
        Assert.Equal((960, 540), (image.Width, image.Height));

        // The camera panel (top left) holds the synthetic scene's yellow sun, the layer panel (centre) a feature map
        // in many colours, and the title line over it antialiased text.
        Assert.True(Count(image, 0, 0, 250, 200, p => p.Item2 > 200 && p.Item1 > 180 && p.Item0 < 90) > 100, "no yellow sun in the camera panel");
        var colours = new HashSet<int>();
        for (var y = 60; y < 330; y += 3)
        {
            for (var x = 300; x < 700; x += 3)
            {
                var p = image.At<Vec3b>(y, x);
                colours.Add((p.Item0 >> 3) | ((p.Item1 >> 3) << 5) | ((p.Item2 >> 3) << 10));
            }
        }

        Assert.True(colours.Count > 40, $"the layer panel shows {colours.Count} colours: no feature map");
        var grey = Count(image, 250, 0, 700, 24, p => p.Item0 is > 60 and < 200 && Math.Abs(p.Item0 - p.Item1) < 12);
        var light = Count(image, 250, 0, 700, 24, p => p.Item0 > 200 && p.Item1 > 200 && p.Item2 > 200);
        Assert.True(light > 30 && grey > 30, $"no antialiased title text ({light} light, {grey} grey pixels)");
    }

    [SkippableFact]
    public void WithoutOpenCvAPictureFolderIsRefusedInOneLineNamingThePackage()
    {
        SkipWithoutWine();
        Skip.If(File.Exists(Path.Combine(Path.GetDirectoryName(Exe)!, "OpenCvSharpExtern.dll")), "this Windows build has OpenCV's native library");
        var pictures = _folder.File("pictures");
        Directory.CreateDirectory(pictures);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "models", "resnet18", "ResNet18Onnx", "ResNet18.onnx"), Path.Combine(pictures, "not-a-picture.png"));
        var (exit, output, errors) = Wine("classify", "--model", "resnet18-features", "--source", "images:" + WindowsPath(pictures), "--output", WindowsPath(_folder.File("out.csv")));

        Assert.NotEqual(0, exit);
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("OpenCvSharp4.runtime.win", line, StringComparison.Ordinal);
        Assert.DoesNotContain("TypeInitializationException", output + errors, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void KeysAndClicksReachTheAppThroughTheWin32Window()
    {
        SkipWithoutWine();
        Skip.If(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")), "Wine's OpenGL needs an X display (./test.sh runs the tests under Xvfb)");
        Skip.IfNot(File.Exists("/usr/bin/xdotool"), "xdotool is not installed (./test.sh installs it)");
        var statsPath = _folder.File("stats.json");
        var (exit, output, errors) = Wine(() =>
            {
                var window = XWindow.WaitFor("ConvLive", TimeSpan.FromSeconds(180));
                // The window shows before the network's first frame is laid out, and a click before that selects
                // nothing; on a loaded machine that can take seconds. Clicking the same thumbnail again changes nothing.
                for (var i = 0; i < 3; i++)
                {
                    Thread.Sleep(3000);
                    XWindow.Xdotool("mousemove", "--window", window, "280", "440");
                    XWindow.Xdotool("click", "--window", window, "1"); // the first thumbnail: the network input
                }

                Thread.Sleep(1000);
                XWindow.Xdotool("key", "--window", window, "Right"); // -> conv1
                XWindow.Xdotool("key", "--window", window, "Right"); // -> maxpool
                XWindow.Xdotool("key", "--window", window, "Up");    // channel 1
                XWindow.Xdotool("key", "--window", window, "m");     // inferno
                Thread.Sleep(1000);
                XWindow.Xdotool("key", "--window", window, "Escape");
            },
            "live", "--source", "synthetic", "--model", "resnet18-features", "--device", "cpu", "--size", "960x540", "--stats", WindowsPath(statsPath));

        Assert.True(exit == 0, $"wine exit {exit}\n{output}\n{errors}");
        using var stats = System.Text.Json.JsonDocument.Parse(File.ReadAllText(statsPath));
        var selection = stats.RootElement.GetProperty("selection");
        Assert.Equal("maxpool", selection.GetProperty("label").GetString());
        Assert.Equal(1, selection.GetProperty("channel").GetInt32());
        Assert.Equal("inferno", selection.GetProperty("colormap").GetString());
    }

    public void Dispose() => _folder.Dispose();

    private static void SkipWithoutWine() =>
        Skip.If(Exe is null, Environment.GetEnvironmentVariable("CONVLIVE_WINDOWS_SKIP") is { Length: > 0 } why ? why
            : "no Windows build: ./test.sh publishes one (scripts/windows-build.sh) when Wine is installed");

    /// <summary>Z: is Wine's drive for the Linux root: the path as a Windows user would type one.</summary>
    private static string WindowsPath(string path) => "Z:" + Path.GetFullPath(path).Replace('/', '\\');

    private static string Summary(string output) =>
        output.Split('\n').Select(l => l.Trim()).Last(l => l.EndsWith("skipped", StringComparison.Ordinal) && l.Contains("passed", StringComparison.Ordinal));

    private static int Count(Mat image, int x0, int y0, int x1, int y1, Func<Vec3b, bool> test)
    {
        var n = 0;
        for (var y = y0; y < y1; y++)
        {
            for (var x = x0; x < x1; x++)
            {
                n += test(image.At<Vec3b>(y, x)) ? 1 : 0;
            }
        }

        return n;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol)
    {
        Assert.Equal(expected.Length, actual.Length);
        var (worst, first) = (0.0, -1);
        for (var i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i], error = Math.Abs(a - e);
            var bad = double.IsNaN(a) != double.IsNaN(e) || (!double.IsNaN(e) && !(error <= atol + (rtol * Math.Abs(e))) && a != e);
            worst = double.IsFinite(error) ? Math.Max(worst, error) : worst;
            first = bad && first < 0 ? i : first;
        }

        Assert.True(first < 0, string.Create(CultureInfo.InvariantCulture, $"Windows build differs from Linux: max |a-b| {worst:G4}, first bad index {first} ({(first >= 0 ? $"{expected[first]} vs {actual[first]}" : string.Empty)})"));
    }

    /// <summary>Runs convlive.exe under Wine with the settings of scripts/wine-env.sh. Its output goes to files, not
    /// pipes: a wineserver or Wine service started by the run inherits its output handles and outlives it, so a pipe
    /// would never reach its end; the run is over when the wine process exits.</summary>
    private (int Exit, string Output, string Errors) Wine(params string[] args) => Wine(null, args);

    /// <inheritdoc cref="Wine(string[])"/>
    private (int Exit, string Output, string Errors) Wine(Action? whileRunning, params string[] args)
    {
        var exe = Exe!;
        var (stdout, stderr) = (_folder.File($"wine-{++_runs}.out"), _folder.File($"wine-{_runs}.err"));
        var start = new ProcessStartInfo("sh") { WorkingDirectory = Path.GetTempPath() };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("out=$1; err=$2; shift 2; exec wine \"$@\" >\"$out\" 2>\"$err\" </dev/null");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(stdout);
        start.ArgumentList.Add(stderr);
        start.ArgumentList.Add(exe);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["WINEPREFIX"] = Environment.GetEnvironmentVariable("WINEPREFIX") is { Length: > 0 } prefix ? prefix : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(exe)!, "..", "wine-prefix"));
        start.Environment["WINEDLLOVERRIDES"] = "mshtml=;winedbg.exe=d";
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        start.Environment["WINEDEBUG"] = "-all";
        start.Environment["CONVLIVE_CONV_CHOICES"] = WindowsPath(_folder.File("conv-choices.json"));
        using var process = Process.Start(start)!;
        try
        {
            whileRunning?.Invoke();
            if (!process.WaitForExit(Timeout))
            {
                Assert.Fail($"wine convlive.exe {string.Join(' ', args)} did not finish within {Timeout.TotalMinutes} min: {File.ReadAllText(stderr)}");
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true); // a window left open would be found by the next test's search
            }
        }

        return (process.ExitCode, File.ReadAllText(stdout), File.ReadAllText(stderr));
    }
}
