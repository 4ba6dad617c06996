// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ConvLive.App.Training;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Graph;
using ConvLive.Engine.IO;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Training;
using ConvLive.Capture;
using Command = System.CommandLine.Command;

namespace ConvLive.App.Cli;

/// <summary><c>convlive train</c>: a new classifier head on a frozen backbone, from an ImageFolder, exported as one ONNX model.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "The data set: DIR/<class>/<n>.png, one folder per class (what the live app's capture keys write).", Required = true };
        var backbone = new Option<string?>("--backbone") { Description = "alexnet (cut after fc7), resnet18-features, or a manifest name. Default: AlexNet when its weights are present, else ResNet-18 features." };
        var output = new Option<string>("--out") { Description = "The exported model HEAD.onnx (RGB 1x3x224x224 in [0,1] in, class probabilities out); HEAD.labels.txt, HEAD.json and HEAD.loss.png go beside it.", Required = true };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 40, Description = "Passes over the training samples." };
        var hidden = new Option<int>("--hidden") { DefaultValueFactory = _ => 0, Description = "Width of one hidden layer (0: a linear head)." };
        var optimizer = new Option<string>("--optimizer") { DefaultValueFactory = _ => "adam", Description = "adam or sgd (with momentum 0.9)." };
        optimizer.AcceptOnlyFromAmong("adam", "sgd");
        var rate = new Option<float?>("--lr") { Description = "Learning rate (default 1e-3 for Adam, 1e-2 for SGD)." };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 32, Description = "Samples per step." };
        var trainFc = new Option<bool>("--train-fc") { Description = "Also train AlexNet's fc6 and fc7 (the backbone is cut at pool5 and the head starts from their weights)." };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1, Description = "Split, shuffle and initialisation seed." };
        var device = CommonOptions.Device();
        var command = new Command("train", "Train a classifier head on your own pictures on a frozen backbone; export preprocessing + backbone + head + softmax as one ONNX model.")
        {
            data, backbone, output, epochs, hidden, optimizer, rate, batch, trainFc, seed, device,
        };
        command.SetAction(r =>
        {
            var kind = r.GetValue(optimizer) == "sgd" ? OptimizerKind.Sgd : OptimizerKind.Adam;
            var settings = new TrainingSettings(new TrainerOptions(r.GetValue(batch), kind, r.GetValue(rate) ?? (kind == OptimizerKind.Adam ? 1e-3f : 1e-2f), 1e-4f), Seed: r.GetValue(seed));
            var request = new TrainRequest(r.GetValue(data)!, r.GetValue(backbone), r.GetValue(output)!, r.GetValue(epochs), r.GetValue(hidden), r.GetValue(trainFc), settings, CommonOptions.ParseDevice(r.GetValue(device)!));
            try
            {
                return Run(request);
            }
            catch (Exception e) when (e is InvalidDataException or ModelException or DeviceUnavailableException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static int Run(TrainRequest q)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(q.Epochs, 1, "--epochs");
        ArgumentOutOfRangeException.ThrowIfNegative(q.Hidden, "--hidden");
        var total = Stopwatch.StartNew();
        Litter.Sweep(Console.Error, false, Litter.FolderOf(q.Output));
        var folder = ImageFolder.Load(q.Data);
        var catalog = CommonOptions.Catalog();
        var manifest = catalog.Backbone(q.Backbone, out _);
        var (device, backend) = CommonOptions.OpenBackend(q.Device);
        using var ownedDevice = device;
        using var ownedBackend = backend;
        Console.WriteLine($"data: {folder.Samples.Count} pictures in {folder.Classes.Count} classes ({string.Join(", ", folder.Classes.Select((c, i) => $"{c} {folder.Samples.Count(s => s.Label == i)}"))})");
        Console.WriteLine($"backbone: {manifest.Name}{(q.TrainFc ? " up to pool5, fc6 and fc7 trained" : string.Empty)}; device: {backend.Name}");

        var featureClock = Stopwatch.StartNew();
        using var extractor = FeatureExtractor.Open(backend, catalog, manifest, q.TrainFc);
        var samples = new List<LabeledFeatures>();
        var progress = new ProgressLine();
        foreach (var s in folder.Samples)
        {
            var bgr = ImageFile.DecodeBgr(s.Path, out var w, out var h);
            if (bgr is null)
            {
                progress.Clear();
                Console.Error.WriteLine($"warning: {s.Path}: not an image OpenCV can decode; skipped");
                continue;
            }

            var f = new float[extractor.FeatureLength];
            extractor.Extract(bgr, w, h, f);
            samples.Add(new LabeledFeatures(f, s.Label, s.Path));
            progress.Show($"features", samples.Count, folder.Samples.Count, string.Empty);
        }

        progress.Clear();
        var featureSeconds = featureClock.Elapsed.TotalSeconds;
        Console.WriteLine($"features: {samples.Count} x {extractor.FeatureLength} ('{extractor.Cut.FeatureValue}') in {featureSeconds:0.0} s ({featureSeconds * 1000 / Math.Max(1, samples.Count):0} ms a picture)");

        var trainClock = Stopwatch.StartNew();
        var (training, head) = HeadTraining.Start(backend, extractor.Cut, samples, folder.Classes.Count, q.Hidden, q.Settings);
        using var ownedTraining = training;
        Console.WriteLine($"head: {string.Join(" -> ", head.Layers.Select(l => l.Inputs).Append(head.Classes))} ({head.Parameters:N0} parameters); {training.Train.Count} training, {training.HeldOut.Count} held out; {q.Settings.Trainer.Optimizer} lr {q.Settings.Trainer.LearningRate}");
        for (var e = 0; e < q.Epochs; e++)
        {
            var r = training.RunEpoch();
            progress.Show("epoch", r.Epoch, q.Epochs, $"loss {r.Loss:0.0000}  held-out {HeadFiles.Percent(r.HeldOutAccuracy)}");
        }

        progress.Clear();
        var trainSeconds = trainClock.Elapsed.TotalSeconds;
        var last = training.History[^1];
        Console.WriteLine($"training: {q.Epochs} epochs in {trainSeconds:0.00} s; final loss {last.Loss:0.0000}; training accuracy {HeadFiles.Percent(training.Accuracy(training.Train))}");
        Console.WriteLine($"held-out accuracy: {HeadFiles.Percent(last.HeldOutAccuracy)} ({training.HeldOut.Count(s => training.Predict(s.Features) == s.Label)}/{training.HeldOut.Count})");
        PrintConfusion(training.ConfusionMatrix(), folder.Classes);

        var outPath = Path.GetFullPath(q.Output);
        var backbone = ModelSource.FromManifest(catalog, manifest);
        var stem = HeadTraining.Save(outPath, new BackboneFiles(manifest, backbone.File, backbone.PreprocessFile), extractor.Cut.FeatureValue, training.Trainer.Snapshot(), folder.Classes);
        LossChart.Write(stem + ".loss.png", training.History, $"{Path.GetFileName(outPath)}: {manifest.Name}, {folder.Classes.Count} classes, held-out {HeadFiles.Percent(last.HeldOutAccuracy)}");
        Console.WriteLine($"wrote {outPath} (+ .labels.txt, .json, .loss.png)");

        var check = CheckExport(outPath, samples.FirstOrDefault(s => training.HeldOut.Contains(s)) ?? samples[0], extractor, training.Trainer);
        Console.WriteLine(check);
        Console.WriteLine($"time: {total.Elapsed.TotalSeconds:0.0} s end to end (features {featureSeconds:0.0} s, training {trainSeconds:0.00} s)");
        return check.StartsWith("export check: ONNX Runtime agrees", StringComparison.Ordinal) ? 0 : 1;
    }

    /// <summary>Runs the export in ONNX Runtime and the engine on one sample, resized to the input size.</summary>
    public static string CheckExport(string path, LabeledFeatures sample, FeatureExtractor extractor, HeadTrainer head)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(extractor);
        var size = extractor.Spec.Size;
        var original = ImageFile.DecodeBgr(sample.Source, out var width, out var height) ?? throw new IOException($"{sample.Source}: no longer a readable picture");
        var bgr = ImageFile.ResizeBgr(original, width, height, size);
        var plane = size * size;
        var rgb01 = new float[3 * plane];
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                rgb01[(c * plane) + i] = bgr[(i * 3) + (2 - c)] / 255f;
            }
        }

        var (ort, ours, mismatch) = ExportCheck.Run(path, rgb01, size, extractor, head);
        var maxDiff = ort.Zip(ours, (a, b) => Math.Abs(a - b)).Max();
        return mismatch is null
            ? $"export check: ONNX Runtime agrees with ConvLive on {Path.GetFileName(sample.Source)} (max |diff| {maxDiff:0.0e0} over {ort.Length} probabilities)"
            : $"export check FAILED: ONNX Runtime and ConvLive differ on {Path.GetFileName(sample.Source)}: {mismatch}";
    }

    private static void PrintConfusion(int[,] m, IReadOnlyList<string> classes)
    {
        var width = Math.Max(6, classes.Max(c => c.Length) + 1);
        Console.WriteLine("confusion (held out; rows true, columns predicted):");
        Console.WriteLine(new string(' ', width) + string.Concat(classes.Select(c => c.PadLeft(width))));
        for (var i = 0; i < classes.Count; i++)
        {
            Console.WriteLine(classes[i].PadRight(width) + string.Concat(Enumerable.Range(0, classes.Count).Select(j => m[i, j].ToString(CultureInfo.InvariantCulture).PadLeft(width))));
        }
    }

    private sealed record TrainRequest(string Data, string? Backbone, string Output, int Epochs, int Hidden, bool TrainFc, TrainingSettings Settings, DeviceKind Device);

    /// <summary>A one-line progress bar on a terminal; nothing when the output is redirected (logs stay clean).</summary>
    private sealed class ProgressLine
    {
        private readonly bool _live = !Console.IsOutputRedirected;
        private bool _shown;

        public void Show(string what, int done, int total, string detail)
        {
            if (!_live)
            {
                return;
            }

            const int bar = 30;
            var filled = total == 0 ? bar : done * bar / total;
            Console.Write($"\r{what} [{new string('#', filled)}{new string('.', bar - filled)}] {done}/{total} {detail}   ");
            _shown = true;
        }

        public void Clear()
        {
            if (_shown)
            {
                Console.Write("\r" + new string(' ', Console.WindowWidth > 0 ? Console.WindowWidth - 1 : 100) + "\r");
                _shown = false;
            }
        }
    }
}
