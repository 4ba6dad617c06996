// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
using ConvLive.Engine.Backends;
using ConvLive.App.Live;
using ConvLive.Capture;
using ConvLive.Engine.Devices;
using ConvLive.Render;

namespace ConvLive.App.Cli;

/// <summary><c>convlive live</c>: the camera, the engine and the display, running.</summary>
internal static class LiveCommand
{
    public static Command Create()
    {
        var source = new Option<string[]>("--source") { Description = $"Where frames come from: {FrameSources.Forms}. Repeat it to cycle sources with Tab. Default: camera 0, else synthetic." };
        var model = new Option<string?>("--model") { Description = "alexnet, resnet18-features, a manifest name or an .onnx file; 'none' for the edge-kernel view. Default: AlexNet when its weights are present, else ResNet-18 features." };
        var device = CommonOptions.Device();
        var headless = new Option<bool>("--headless") { Description = "Render offscreen (EGL, no X server); use with --frames and --screenshot." };
        var frames = new Option<int>("--frames") { Description = "Stop after this many displayed frames (0: run until closed)." };
        var screenshot = new Option<string?>("--screenshot") { Description = "Write the last frame to this PNG." };
        var stats = new Option<string?>("--stats") { Description = "Write run statistics (fps, latency, device) to this JSON file." };
        var size = new Option<string>("--size") { Description = "Window or framebuffer size, WIDTHxHEIGHT.", DefaultValueFactory = _ => "1280x720" };
        var maxFps = new Option<double>("--max-fps") { Description = "Cap the display rate (0: vsync, at most 144, in a window; 60 headless)." };

        var samples = new Option<string>("--samples") { Description = "Folder for captured samples (DIR/<class>/<n>.png; an existing one is added to) and the trained head (DIR/head.onnx).", DefaultValueFactory = _ => Path.Combine(Path.GetDirectoryName(CommonOptions.UserModelsFolder())!, "samples") };
        var classes = new Option<string?>("--classes") { Description = "Names of the classes keys 1-9 capture, comma-separated, e.g. mug,hand,face." };
        var train = new Option<bool>("--train") { Description = "Train a head on the stored samples as soon as the app starts (T does it any time)." };
        var duration = new Option<double>("--duration") { Description = "Stop after this many seconds (a soak run); 0: no limit." };
        var sampleEvery = new Option<double>("--sample-every") { Description = "Seconds between resource samples written to --stats (managed heap, resident memory, GL objects, device buffers).", DefaultValueFactory = _ => 10 };
        var sampleGc = new Option<bool>("--sample-gc") { Description = "Collect garbage before each resource sample, so the managed heap figure is what is live (a leak check; a short pause each sample)." };
        var kernel = new Option<string[]>("--kernel") { Description = "A custom kernel for the kernels view (--model none): a text file of K lines of K numbers, K odd; repeatable.", AllowMultipleArgumentsPerToken = false };
        var fcWeights = CommonOptions.FcWeights();
        var explain = new Option<string?>("--explain") { Description = "Show why the network says its top class, over the network input, from the start: gradient, guided, deconv or gradcam (key E cycles)." };
        explain.AcceptOnlyFromAmong([.. Engine.Explain.ExplainMethods.Names]);
        var select = new Option<string?>("--select") { Description = "Select this layer (and channel) from the start, VALUE[:CHANNEL], e.g. conv2_1:5: its top-9 from the stream is gathered from the first frame." };
        var trainEvery = new Option<double>("--train-every") { Description = "Train a head on the stored samples every this many seconds (a soak run; 0: only on T or --train).", DefaultValueFactory = _ => 0 };
        var recordMax = new Option<double>("--record-max-mb") { Description = "Stop a recording when its file reaches this size in MB (the part written is kept and plays; R starts a new one). Default 4000, under FAT32's 4 GiB file limit; 0: no limit.", DefaultValueFactory = _ => 4000 };
        var record = new Option<string?>("--record") { Description = "Record the window from the start to this .mp4 (H.264 where the codec exists, else MPEG-4 part 2) or .avi (MJPG), one frame per presented frame; R stops and starts again." };
        var wants = new Option<string?>("--wants") { Description = "Draw what a unit wants from the start (activation maximisation; key W): VALUE:CHANNEL, VALUE:CHANNEL@COLUMN,ROW or class:K." };
        var augment = new Option<string>("--augment") { DefaultValueFactory = _ => "on", Description = "on: T also trains on 8 random views of each captured picture (crops, mirror, rotation, colour, blur); off: the pictures as they are." };
        augment.AcceptOnlyFromAmong("on", "off");
        var fineTune = new Option<bool>("--fine-tune") { Description = "After --train (or T), fine-tune the backbone's last convolution with the head, as G does." };
        var map = new Option<bool>("--map") { Description = "Show the map of the captured samples (PCA of their features, the frame among them) from the start; V toggles it." };
        var command = new Command("live", "Run the camera through a network and show every layer live. Keys: H help, Left/Right layer, click a channel, M colormap, F freeze, S screenshot, R record, Tab source, E explanation view, U explain the selected channel (or the unit clicked in the zoom), X/N clear/save the layer's top-9, W what the unit wants, I save it, 1-9 capture a class, Backspace undo, T train a head, G fine-tune the backbone with it, V map of the samples, L the training chart, Esc/Q quit.")
        {
            source, model, device, headless, frames, screenshot, stats, size, maxFps, samples, classes, train, duration, sampleEvery, sampleGc, kernel, fcWeights, explain, select, wants, record, recordMax, trainEvery, augment, map, fineTune,
        };
        command.SetAction(result =>
        {
            if (!TryParseSize(result.GetValue(size)!, out var width, out var height))
            {
                Console.Error.WriteLine($"error: --size {result.GetValue(size)}: give WIDTHxHEIGHT between 64x64 and 8192x8192, e.g. 1280x560");
                return 2;
            }

            if (!TryParseClasses(result.GetValue(classes), out var classNames) || !TryLoadKernels(result.GetValue(kernel), out var kernels))
            {
                return 2;
            }

            UnitSpec? selected;
            WantsTarget? wanted;
            try
            {
                selected = result.GetValue(select) is { } sel ? UnitSpec.Parse(sel.Contains(':', StringComparison.Ordinal) ? sel : sel + ":0", "--select") : null;
                wanted = ParseWants(result.GetValue(wants));
            }
            catch (Engine.Graph.ModelException error)
            {
                Console.Error.WriteLine($"error: {error.Message}");
                return 2;
            }

            var options = new LiveOptions(
                result.GetValue(source) ?? [],
                result.GetValue(model),
                CommonOptions.ParseDevice(result.GetValue(device)!),
                result.GetValue(headless),
                Math.Max(0, result.GetValue(frames)),
                result.GetValue(screenshot),
                result.GetValue(stats),
                width,
                height,
                Math.Max(0, result.GetValue(maxFps)),
                result.GetValue(samples)!,
                classNames,
                result.GetValue(train),
                kernels,
                Math.Max(0, result.GetValue(duration)),
                Math.Max(0.5, result.GetValue(sampleEvery)),
                CommonOptions.ComputeFromEnvironment() with
                {
                    FullyConnectedWeights = WeightPrecisions.TryParse(result.GetValue(fcWeights)!, out var precision) ? precision : WeightPrecision.Float32,
                },
                CommonOptions.FaultAfterFramesFromEnvironment(),
                result.GetValue(explain) is { } e && Engine.Explain.ExplainMethods.TryParse(e, out var method) ? method : null)
            {
                Select = selected ?? (wanted?.Unit is { } u ? u with { Position = null } : null),
                Wants = wanted,
                Record = result.GetValue(record),
                TrainEvery = Math.Max(0, result.GetValue(trainEvery)),
                RecordMaxBytes = result.GetValue(recordMax) is var max && max > 0 ? (long)(max * 1024 * 1024) : long.MaxValue, // 0: no limit
                Augment = result.GetValue(augment) != "off",
                ShowMap = result.GetValue(map),
                FineTuneOnStart = result.GetValue(fineTune),
                SampleCollects = result.GetValue(sampleGc),
            };
            return Run(options);
        });
        return command;
    }

    /// <summary>--wants: class:K, or a unit.</summary>
    private static WantsTarget? ParseWants(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (text.StartsWith("class:", StringComparison.Ordinal))
        {
            return int.TryParse(text.AsSpan(6), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var k) && k >= 0
                ? new WantsTarget(null, k)
                : throw new Engine.Graph.ModelException($"--wants {text}: give class:K with K a class index, e.g. --wants class:281");
        }

        return new WantsTarget(UnitSpec.Parse(text, "--wants"), 0);
    }

    /// <summary><c>--classes</c>: at most nine different names that can be folder names; says what is wrong otherwise.</summary>
    private static bool TryParseClasses(string? given, out string[] names)
    {
        names = (given ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.FirstOrDefault(n => n is "." or ".." || n.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0) is { } bad)
        {
            Console.Error.WriteLine($"error: --classes: '{bad}' cannot be a folder name; use letters, digits, '-' or '_'");
            return false;
        }

        if (names.Length > 9 || names.Distinct(StringComparer.Ordinal).Count() != names.Length)
        {
            Console.Error.WriteLine("error: --classes: give at most nine different names (keys 1-9)");
            return false;
        }

        return true;
    }

    /// <summary><c>--kernel FILE</c>...: each file's kernel; says which file is wrong otherwise.</summary>
    private static bool TryLoadKernels(string[]? files, out List<Engine.Vision.Kernel2D> kernels)
    {
        kernels = [];
        foreach (var file in files ?? [])
        {
            try
            {
                kernels.Add(Engine.Vision.Kernel2D.FromFile(file));
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: --kernel {file}: {e.Message}");
                return false;
            }
        }

        return true;
    }

    private static int Run(LiveOptions options)
    {
        LiveSession session;
        try
        {
            session = LiveSession.Open(options, Console.Out);
        }
        catch (Exception e) when (e is FrameSourceException or DeviceUnavailableException or RenderException or Engine.Graph.ModelException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        using (session)
        {
            return session.Run();
        }
    }

    private static bool TryParseSize(string text, out int width, out int height)
    {
        width = height = 0;
        var parts = text.Split('x', 'X');
        return parts.Length == 2
            && int.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out width)
            && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out height)
            && width is >= 64 and <= 8192 && height is >= 64 and <= 8192;
    }
}
