// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ConvLive.Capture;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Graph;
using ConvLive.Engine.IO;
using ConvLive.Engine.Live;
using ConvLive.Engine.Models;

namespace ConvLive.App.Cli;

/// <summary><c>convlive classify</c>: every frame of a video or picture of a folder once through a classifier, preprocessed
/// as <c>live</c> does, one row each (top K labels and probabilities) to CSV or JSON lines.</summary>
internal static class ClassifyCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A classifier: alexnet, a manifest name or an .onnx file.", Required = true };
        var source = new Option<string>("--source") { Description = "video:FILE (each frame once), images:DIR (each picture once, in name order), or camera:N (until --frames or Ctrl+C).", Required = true };
        var output = new Option<string>("--output") { Description = "OUT.csv or OUT.jsonl: one row per frame.", Required = true };
        var top = new Option<int>("--top") { Description = "How many classes per row.", DefaultValueFactory = _ => 5 };
        var frames = new Option<int>("--frames") { Description = "Stop after this many frames (0: the whole source; a camera needs it or Ctrl+C)." };
        var lostAfter = new Option<double>("--lost-after") { Description = "A camera that gives no frame for this many seconds ends the run (its loss has a row when it starts; the rows so far are written).", DefaultValueFactory = _ => 30 };
        var device = CommonOptions.Device();
        var command = new Command("classify", "Classify each frame of a video or each picture of a folder (or a camera's frames) once; write the top K per frame to CSV or JSON lines.")
        {
            model, source, output, top, frames, lostAfter, device,
        };
        command.SetAction(r => Run(r.GetValue(model)!, r.GetValue(source)!, r.GetValue(output)!, r.GetValue(top), Math.Max(0, r.GetValue(frames)), Math.Max(0.1, r.GetValue(lostAfter)), CommonOptions.ParseDevice(r.GetValue(device)!)));
        return command;
    }

    private static int Run(string modelName, string sourceSpec, string outputPath, int top, int limit, double lostAfter, DeviceKind kind) =>
        Run(modelName, () => FrameSources.Open(sourceSpec, loop: false), outputPath, top, limit, lostAfter, kind);

    /// <summary>Classifies the source <paramref name="open"/> gives (owned here) into <paramref name="outputPath"/>;
    /// the exit code: 0, or 2 after one line on standard error.</summary>
    internal static int Run(string modelName, Func<IFrameSource> open, string outputPath, int top, int limit, double lostAfter, DeviceKind kind)
    {
        var jsonl = outputPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);
        if (!jsonl && !outputPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine($"error: --output {outputPath}: give a .csv or .jsonl file");
            return 2;
        }

        if (top < 1)
        {
            Console.Error.WriteLine($"error: --top {top}: give 1 or more");
            return 2;
        }

        Litter.Sweep(Console.Error, false, Litter.FolderOf(outputPath));
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // finish the row under way and write what was classified
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            using var frameSource = open();
            if (frameSource is CameraSource or SyntheticSource && limit == 0)
            {
                Console.Error.WriteLine($"note: {frameSource.Description} never ends; stop it with Ctrl+C or give --frames N");
            }

            var (device, backend) = CommonOptions.OpenBackend(kind);
            using var ownedDevice = device;
            using var ownedBackend = backend;
            var resolved = ModelSource.Resolve(modelName, CommonOptions.Catalog());
            using var live = LiveModel.Open(backend, resolved.Name, resolved.Graph, resolved.PreprocessGraph, resolved.Input, resolved.Labels);
            var rows = new ClassifyRows(jsonl, frameSource is ImageSequenceSource, Math.Min(top, live.OutputLength), live.Labels, resolved.Manifest.NotSureBelow);
            // On a terminal a bar (frames of the video or folder, or an open-ended one for a camera) with the rate;
            // in logs a line a second on standard error.
            var total = limit > 0 ? limit : frameSource switch { ImageSequenceSource images => images.Files.Count, VideoFileSource video => video.FrameCount, _ => 0 };
            string? stalled = null;
            var count = ConsoleProgress.Interactive
                ? ConsoleProgress.Run("classify", total, report => Classify(frameSource, live, rows, limit, lostAfter, report, out stalled, stop.Token))
                : Classify(frameSource, live, rows, limit, lostAfter, null, out stalled, stop.Token);
            AtomicFile.Write(outputPath, s => s.Write(Encoding.UTF8.GetBytes(rows.Text)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"classified {count.Frames} frames of {frameSource.Description} with {live.Name} on {backend.Name} in {count.Seconds:0.0} s ({count.Frames / Math.Max(count.Seconds, 1e-9):0.0} frames a second){(count.Damaged > 0 ? $", {count.Damaged} damaged (see their rows)" : string.Empty)}{(count.Losses > 0 ? $", the camera gave no frames {count.Losses} times (see their rows)" : string.Empty)}{(stop.IsCancellationRequested ? ", stopped by Ctrl+C" : string.Empty)}{(stalled is null ? string.Empty : $", stopped: {stalled}")}{(frameSource.Ended && frameSource.LastProblem is { } end ? $", {end}" : string.Empty)} -> {outputPath}"));
            return 0;
        }
        catch (Exception e) when (e is ModelException or FrameSourceException or DeviceUnavailableException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Classifies until the source ends, <paramref name="limit"/> rows, Ctrl+C, or a camera lost for
    /// <paramref name="lostAfter"/> seconds. A loss gets one row (its error says so) when it starts; frames that come
    /// back go on in the same file.</summary>
    private static (int Frames, int Damaged, int Losses, double Seconds) Classify(IFrameSource source, LiveModel live, ClassifyRows rows, int limit, double lostAfter, Action<int, string?>? report, out string? stalled, CancellationToken stop)
    {
        stalled = null;
        var firstTicks = 0L;
        var frame = new VideoFrame();
        var output = new float[live.OutputLength];
        var topIndex = new int[rows.Top];
        var topP = new float[rows.Top];
        var outputName = live.Graph.Outputs[0].Name;
        var watch = Stopwatch.StartNew();
        var lastReport = 0.0;
        int frames = 0, damaged = 0, losses = 0; // a row's index counts both frames and losses
        var lostSince = 0L; // when a camera's frames stopped coming; 0 while they come
        var lossHasRow = false; // the current loss already has its row
        var interactive = report is null && !Console.IsErrorRedirected;
        while (!stop.IsCancellationRequested && (limit == 0 || frames < limit))
        {
            if (!source.TryRead(frame))
            {
                if (source.Ended)
                {
                    break;
                }

                if (source.LastProblem is { } problem && !source.PacesItself) // a file's damaged frame or picture
                {
                    rows.Damaged(frames + losses, Name(source, frame), problem);
                    frames++;
                    damaged++;
                    continue;
                }

                // A camera between frames, or one that went away: after a short wait its loss gets a row, and the
                // run waits for it to come back (the source reopens it) until --lost-after.
                var now = Stopwatch.GetTimestamp();
                lostSince = lostSince == 0 ? now : lostSince;
                var lost = Stopwatch.GetElapsedTime(lostSince, now).TotalSeconds;
                if (lost >= Math.Min(LostRowAfterSeconds, lostAfter) && source.LastProblem is { } why && !lossHasRow)
                {
                    rows.Damaged(frames + losses, SecondsSince(firstTicks, lostSince), why);
                    lossHasRow = true;
                    losses++;
                }

                if (lost >= lostAfter)
                {
                    stalled = string.Create(CultureInfo.InvariantCulture, $"no frame from {source.Description} for {lostAfter:0.#} s ({source.LastProblem ?? "no reason given"})");
                    break;
                }

                Thread.Sleep(10);
                continue;
            }

            lostSince = 0;
            lossHasRow = false;
            firstTicks = firstTicks == 0 ? frame.CapturedTicks : firstTicks;
            frame.CapturedTicks -= firstTicks - 1; // a camera's time counts from its first frame (1 tick, not 0: "none")
            live.RunAndRead(frame.Pixels, frame.Width, frame.Height, outputName, output);
            Classification.Top(output, topIndex, topP);
            rows.Add(frames + losses, Name(source, frame), topIndex, topP);
            frames++;
            if (report is not null)
            {
                report(frames, string.Create(CultureInfo.InvariantCulture, $"{frames / Math.Max(watch.Elapsed.TotalSeconds, 1e-9):0.0} frames a second"));
            }
            else if (watch.Elapsed.TotalSeconds - lastReport >= 1)
            {
                lastReport = watch.Elapsed.TotalSeconds;
                var line = string.Create(CultureInfo.InvariantCulture, $"classify: {frames} frames, {frames / lastReport:0.0} a second");
                Console.Error.Write(interactive ? $"\r{line}   " : line + Environment.NewLine);
            }
        }

        if (interactive && lastReport > 0)
        {
            Console.Error.WriteLine();
        }

        return (frames, damaged, losses, watch.Elapsed.TotalSeconds);
    }

    /// <summary>A camera that gives nothing for this long is lost (a row says so); a slow camera's gap between frames is shorter.</summary>
    private const double LostRowAfterSeconds = 0.5;

    /// <summary>Seconds from a camera's first frame to <paramref name="ticks"/>, as its rows' time column counts.</summary>
    private static string SecondsSince(long firstTicks, long ticks) =>
        (firstTicks == 0 ? 0 : Stopwatch.GetElapsedTime(firstTicks, ticks).TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>What the row names the frame by: the picture's file name, or the time in the video, seconds.</summary>
    private static string Name(IFrameSource source, VideoFrame frame) => source switch
    {
        ImageSequenceSource images => Path.GetFileName(images.LastFile) ?? string.Empty,
        VideoFileSource video => video.LastFrameSeconds.ToString("0.###", CultureInfo.InvariantCulture),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(frame.CapturedTicks <= 1 ? 0 : (frame.CapturedTicks - 1) / (double)Stopwatch.Frequency):0.###}"),
    };
}

/// <summary>The rows <c>classify</c> writes, kept in memory and written once at the end (through a temporary file).</summary>
internal sealed class ClassifyRows
{
    private readonly StringBuilder _text = new();
    private readonly bool _jsonl;
    private readonly bool _files;
    private readonly IReadOnlyList<string>? _labels;
    private readonly float _notSureBelow;

    /// <summary>The rows' header.</summary>
    /// <param name="jsonl">JSON lines rather than CSV.</param>
    /// <param name="files">Frames are named by file rather than time.</param>
    /// <param name="top">Classes per row.</param>
    /// <param name="labels">Class names, or null for indices.</param>
    /// <param name="notSureBelow">The model's "not sure" threshold (a trained head's), or null: the answer is then the top class.</param>
    public ClassifyRows(bool jsonl, bool files, int top, IReadOnlyList<string>? labels, float? notSureBelow = null)
    {
        (_jsonl, _files, Top, _labels, _notSureBelow) = (jsonl, files, top, labels, notSureBelow ?? 0f);
        if (!jsonl)
        {
            _text.Append(files ? "frame,file,answer" : "frame,time_s,answer");
            for (var k = 1; k <= top; k++)
            {
                _text.Append(CultureInfo.InvariantCulture, $",label{k},p{k}");
            }

            _text.Append(",error\n");
        }
    }

    public int Top { get; }

    public string Text => _text.ToString();

    /// <summary>What a row answers: the top class, or "not sure" when its probability is under the model's threshold.</summary>
    public const string NotSure = "not sure";

    public void Add(int frame, string name, ReadOnlySpan<int> top, ReadOnlySpan<float> p)
    {
        if (_jsonl)
        {
            _text.Append(CultureInfo.InvariantCulture, $"{{\"frame\":{frame},{Where(name)},\"answer\":{JsonSerializer.Serialize(Answer(top, p))},\"top\":[");
            for (var k = 0; k < Top; k++)
            {
                _text.Append(CultureInfo.InvariantCulture, $"{(k > 0 ? "," : string.Empty)}{{\"label\":{JsonSerializer.Serialize(Label(top[k]))},\"index\":{top[k]},\"p\":{p[k]:0.######}}}");
            }

            _text.Append("]}\n");
            return;
        }

        _text.Append(CultureInfo.InvariantCulture, $"{frame},{Csv(name)},{Csv(Answer(top, p))}");
        for (var k = 0; k < Top; k++)
        {
            _text.Append(CultureInfo.InvariantCulture, $",{Csv(Label(top[k]))},{p[k]:0.######}");
        }

        _text.Append(",\n");
    }

    public void Damaged(int frame, string name, string problem)
    {
        if (_jsonl)
        {
            _text.Append(CultureInfo.InvariantCulture, $"{{\"frame\":{frame},{Where(name)},\"error\":{JsonSerializer.Serialize(problem)}}}\n");
            return;
        }

        _text.Append(CultureInfo.InvariantCulture, $"{frame},{Csv(name)},");
        _text.Append(',', 2 * Top);
        _text.Append(CultureInfo.InvariantCulture, $",{Csv(problem)}\n");
    }

    private string Answer(ReadOnlySpan<int> top, ReadOnlySpan<float> p) => p[0] < _notSureBelow ? NotSure : Label(top[0]);

    private string Where(string name) => _files ? $"\"file\":{JsonSerializer.Serialize(name)}" : $"\"time_s\":{name}";

    private string Label(int index) => index < 0 ? string.Empty : _labels is { } l ? l[index] : index.ToString(CultureInfo.InvariantCulture);

    private static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
