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
        var trainFc = new Option<bool>("--train-fc") { Description = "The same as --train-layers fc." };
        var layers = new Option<string>("--train-layers") { DefaultValueFactory = _ => "head", Description = "head: a new head on frozen features; fc: also AlexNet's fc6 and fc7; conv5: then also the backbone's last convolution; all: every convolution (BatchNormalization frozen). conv5 and all fine-tune after the head has learnt, on fresh augmented views." };
        layers.AcceptOnlyFromAmong("head", "fc", "conv5", "all");
        var fineEpochs = new Option<int>("--fine-tune-epochs") { DefaultValueFactory = _ => 5, Description = "Passes of backbone fine-tuning with --train-layers conv5 or all." };
        var backboneRate = new Option<float?>("--backbone-lr") { Description = "The backbone's learning rate when fine-tuning (default: a tenth of --lr)." };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1, Description = "Split, shuffle, augmentation and initialisation seed." };
        var augment = new Option<string>("--augment") { DefaultValueFactory = _ => "on", Description = "on: train on random views of each picture too (crops, mirror, rotation, colour, blur); off: the pictures as they are." };
        augment.AcceptOnlyFromAmong("on", "off");
        var views = new Option<int>("--views") { DefaultValueFactory = _ => new AugmentPolicy().Views, Description = "Views per picture with --augment on, the picture itself included." };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not read or write the feature cache (DATA/.convlive-cache)." };
        var test = new Option<string?>("--test") { Description = "A test set laid out as --data (same class names), never trained on: its accuracy, per class, and how often the model says \"not sure\"." };
        var device = CommonOptions.Device();
        var command = new Command("train", "Train a classifier head on your own pictures on a frozen backbone; export preprocessing + backbone + head + softmax as one ONNX model.")
        {
            data, backbone, output, epochs, hidden, optimizer, rate, batch, trainFc, seed, augment, views, test, noCache, layers, fineEpochs, backboneRate, device,
        };
        command.SetAction(r =>
        {
            var kind = r.GetValue(optimizer) == "sgd" ? OptimizerKind.Sgd : OptimizerKind.Adam;
            var settings = new TrainingSettings(new TrainerOptions(r.GetValue(batch), kind, r.GetValue(rate) ?? (kind == OptimizerKind.Adam ? 1e-3f : 1e-2f), 1e-4f), Seed: r.GetValue(seed));
            if (r.GetValue(views) < 1)
            {
                Console.Error.WriteLine($"error: --views {r.GetValue(views)}: give 1 or more views a picture");
                return 2;
            }

            var policy = r.GetValue(augment) == "off" ? AugmentPolicy.None : new AugmentPolicy(Views: r.GetValue(views));
            var which = r.GetValue(layers) switch
            {
                "fc" => TrainLayers.FullyConnected,
                "conv5" => TrainLayers.LastConv,
                "all" => TrainLayers.All,
                _ => r.GetValue(trainFc) ? TrainLayers.FullyConnected : TrainLayers.Head,
            };
            var request = new TrainRequest(r.GetValue(data)!, r.GetValue(backbone), r.GetValue(output)!, r.GetValue(epochs), r.GetValue(hidden), which, settings, CommonOptions.ParseDevice(r.GetValue(device)!), policy, r.GetValue(test), !r.GetValue(noCache))
            {
                FineTuneEpochs = r.GetValue(fineEpochs),
                BackboneLearningRate = r.GetValue(backboneRate) ?? (settings.Trainer.LearningRate / 10),
            };
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
        ArgumentOutOfRangeException.ThrowIfLessThan(q.Augment.Views, 1, "--views");
        var total = Stopwatch.StartNew();
        Litter.Sweep(Console.Error, false, Litter.FolderOf(q.Output));
        var folder = ImageFolder.Load(q.Data);
        var testFolder = q.Test is null ? null : ImageFolder.Load(q.Test, minimumClasses: 1);
        var testLabels = testFolder is null ? null : TestLabels(testFolder, folder.Classes, q.Test!);
        var catalog = CommonOptions.Catalog();
        var manifest = catalog.Backbone(q.Backbone, out _);
        var source = ModelSource.FromManifest(catalog, manifest);
        var hasFullyConnected = source.Graph.Nodes.Any(n => n.OpType == "Gemm");
        if (q.Layers == TrainLayers.FullyConnected && !hasFullyConnected)
        {
            throw new ModelException($"{manifest.Name}: has no fully connected layers to train; use --train-layers head, conv5 or all");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(q.FineTuneEpochs, 1, "--fine-tune-epochs");
        var trainFc = q.Layers == TrainLayers.FullyConnected || (q.Layers >= TrainLayers.LastConv && hasFullyConnected);
        var (device, backend) = CommonOptions.OpenBackend(q.Device);
        using var ownedDevice = device;
        using var ownedBackend = backend;
        Console.WriteLine($"data: {folder.Samples.Count} pictures in {folder.Classes.Count} classes ({string.Join(", ", folder.Classes.Select((c, i) => $"{c} {folder.Samples.Count(s => s.Label == i)}"))})");
        Console.WriteLine($"backbone: {manifest.Name}{(trainFc ? " up to pool5, fc6 and fc7 trained" : string.Empty)}{q.Layers switch { TrainLayers.LastConv => ", then its last convolution fine-tuned", TrainLayers.All => ", then every convolution fine-tuned", _ => string.Empty }}; device: {backend.Name}");
        Console.WriteLine($"augmentation: {q.Augment.Describe()}");
        foreach (var empty in folder.EmptyClasses)
        {
            Console.Error.WriteLine($"warning: {Path.Combine(q.Data, empty)}: no pictures; the class is left out");
        }

        var featureClock = Stopwatch.StartNew();
        using var extractor = FeatureExtractor.Open(backend, source.Name, source.Graph, source.PreprocessGraph, source.Input, trainFc, batch: BatchFor(q.Augment.Views));
        static void Warn(string line) => Console.Error.WriteLine($"warning: {line}");

        var backboneFile = new FileInfo(source.File); // a replaced model file of the same name gives other features
        var cacheKey = FormattableString.Invariant($"{manifest.Name}|{manifest.File}|{backboneFile.Length}|{backboneFile.LastWriteTimeUtc.Ticks}|{extractor.Cut.FeatureValue}|{extractor.FeatureLength}|{q.Augment.Key()}|seed {q.Settings.Seed}");
        using var cache = q.Cache ? FeatureCache.Open(q.Data, cacheKey, extractor.FeatureLength, q.Augment.Views, Warn) : null;
        var views = new ViewFeatures(extractor, q.Augment, q.Settings.Seed, cache);
        List<LabeledFeatures> samples;
        using (var interrupt = new InterruptOnCtrlC())
        {
            try
            {
                samples = ConsoleProgress.Run("features", folder.Samples.Count, report => views.Compute(folder.Samples, q.Augment.Views, (done, _) => report(done, null), Warn, interrupt.Token))
                    .OfType<LabeledFeatures>().ToList();
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine(cache is null
                    ? "interrupted while computing features"
                    : $"interrupted: the features of {cache.Loaded + cache.Added} pictures are in {cache.Path}; run the same command again to go on from there");
                return 130;
            }
        }

        if (Enumerable.Range(0, folder.Classes.Count).FirstOrDefault(k => samples.All(s => s.Label != k), -1) is var lost and >= 0)
        {
            throw new InvalidDataException($"{Path.Combine(q.Data, folder.Classes[lost])}: none of its {folder.Samples.Count(s => s.Label == lost)} pictures could be used (see the warnings); fix or remove the folder");
        }

        var featureSeconds = featureClock.Elapsed.TotalSeconds;
        var vectors = samples.Sum(s => s.All.Count());
        var computed = cache is null ? samples.Count : cache.Added;
        Console.WriteLine($"features: {samples.Count} pictures, {vectors} views x {extractor.FeatureLength} ('{extractor.Cut.FeatureValue}') in {featureSeconds:0.0} s ({(computed == 0 ? "all from the cache" : FormattableString.Invariant($"{featureSeconds * 1000 / (computed * q.Augment.Views):0} ms a view computed, {extractor.Batch} at a time"))})");
        if (cache is not null)
        {
            Console.WriteLine($"feature cache: {cache.Reused} pictures reused, {cache.Added} computed ({cache.Path})");
        }

        var trainClock = Stopwatch.StartNew();
        var (training, head) = HeadTraining.Start(backend, extractor.Cut, samples, folder.Classes.Count, q.Hidden, q.Settings);
        using var ownedTraining = training;
        Console.WriteLine($"head: {string.Join(" -> ", head.Layers.Select(l => l.Inputs).Append(head.Classes))} ({head.Parameters:N0} parameters); {training.Train.Count} training pictures ({training.TrainingRows} views), {training.HeldOut.Count} held out; {q.Settings.Trainer.Optimizer} lr {q.Settings.Trainer.LearningRate}");
        ConsoleProgress.Run("head", q.Epochs, report =>
        {
            for (var e = 0; e < q.Epochs; e++)
            {
                var r = training.RunEpoch();
                report(r.Epoch, FormattableString.Invariant($"epoch {r.Epoch}: loss {r.Loss:0.0000}, held-out {HeadFiles.Percent(r.HeldOutAccuracy)}"));
            }

            return 0;
        });
        var trainSeconds = trainClock.Elapsed.TotalSeconds;
        var last = training.History[^1];
        Console.WriteLine($"training: {q.Epochs} epochs in {trainSeconds:0.00} s; final loss {last.Loss:0.0000}; training accuracy {HeadFiles.Percent(training.Accuracy(training.Train))}");
        // Fine-tuning the backbone (conv5, all) from the head trained above; then everything is measured again on
        // the backbone as trained.
        IViewFeatures features = extractor;
        Predictor predict = training.Predict;
        var finalHead = training.Trainer;
        var held = training.HeldOut;
        Dictionary<string, float[]>? weights = null;
        using var fine = q.Layers >= TrainLayers.LastConv
            ? FineTuning.Start(backend, source, q.Layers, training.Trainer.Snapshot(), training.Train, q.Settings, q.BackboneLearningRate, q.Augment)
            : null;
        var fineSeconds = 0.0;
        if (fine is not null)
        {
            Console.WriteLine($"fine-tuning: {fine.Trainer.Trainable.Count} backbone tensors ({string.Join(", ", fine.Trainer.Trainable.Take(4))}{(fine.Trainer.Trainable.Count > 4 ? ", ..." : string.Empty)}) at lr {q.BackboneLearningRate.ToString("G3", CultureInfo.InvariantCulture)}, the head at {q.Settings.Trainer.LearningRate.ToString("G3", CultureInfo.InvariantCulture)}; {fine.Pictures} pictures x {q.Augment.Views} fresh views a pass, {fine.Trainer.Batch} a step");
            var clock = Stopwatch.StartNew();
            using (var interrupt = new InterruptOnCtrlC())
            {
                try
                {
                    for (var e = 1; e <= q.FineTuneEpochs; e++)
                    {
                        var epoch = e;
                        var loss = ConsoleProgress.Run($"fine-tune {epoch}/{q.FineTuneEpochs}", fine.Steps, report => fine.RunEpoch(epoch, (done, _) => report(done, null), interrupt.Token));
                        Console.WriteLine($"fine-tune epoch {e}: loss {loss:0.0000}");
                    }
                }
                catch (OperationCanceledException)
                {
                    Console.Error.WriteLine("interrupted while fine-tuning; nothing written");
                    return 130;
                }
            }

            fineSeconds = clock.Elapsed.TotalSeconds;
            features = fine.Trainer;
            predict = fine.Predict;
            finalHead = fine.Trainer.Head;
            weights = fine.Trainer.Snapshot();
            var heldSamples = training.HeldOut.Select(s => new ImageSample(s.Source, s.Label)).ToList();
            held = new ViewFeatures(features, q.Augment, q.Settings.Seed + 1).Compute(heldSamples, q.Augment.Views, null, Warn).OfType<LabeledFeatures>().ToList();
            Console.WriteLine($"fine-tuning: {q.FineTuneEpochs} epochs in {fineSeconds:0.0} s");
        }

        var heldAccuracy = Evaluation.Accuracy(held, predict);
        Console.WriteLine($"held-out accuracy: {HeadFiles.Percent(heldAccuracy)} ({held.Count(s => predict(s.Features, out _) == s.Label)}/{held.Count})");
        var heldPerClass = Evaluation.PerClass(held, folder.Classes.Count, predict);
        var heldConfusion = Evaluation.Confusion(held, folder.Classes.Count, predict);
        PrintConfusion("held out", heldConfusion, folder.Classes, heldPerClass);
        var notSure = Evaluation.NotSureThreshold(held, predict);
        Console.WriteLine($"not sure below: {notSure:0.000} top probability (calibrated on the held-out pictures and their views: 95% of answers at or above it right)");

        TestResult? testResult = null;
        if (testFolder is not null)
        {
            testResult = Evaluate(features, predict, folder.Classes.Count, testFolder, testLabels!, notSure, Warn);
        }

        if (testResult is { Pictures: 0 })
        {
            Console.Error.WriteLine($"warning: {q.Test}: no picture of the test set decodes; no test figures");
            testResult = null;
        }
        else if (testResult is not null)
        {
            Console.WriteLine($"test accuracy: {HeadFiles.Percent(testResult.Accuracy)} ({testResult.Right}/{testResult.Pictures} pictures of {q.Test}, never trained on); not sure on {HeadFiles.Percent(testResult.NotSure)}, right on {HeadFiles.Percent(testResult.ConfidentAccuracy)} of the rest");
            PrintConfusion("test", testResult.Confusion, folder.Classes, testResult.PerClass);
        }

        var outPath = Path.GetFullPath(q.Output);
        var trained = fine is null ? string.Empty : $", fine-tuned: {string.Join(", ", fine.Trainer.Trainable)}";
        var summary = new TrainingSummary(
            $"{manifest.Name} to '{extractor.Cut.FeatureValue}'{trained}", q.Augment.Describe(), training.TrainingRows, q.Epochs + (fine is null ? 0 : q.FineTuneEpochs), NaNToNull(heldAccuracy),
            folder.Classes.Select((c, k) => new ClassSummary(c, samples.Count(s => s.Label == k), NaNToNull(heldPerClass[k]), testResult is null ? null : NaNToNull(testResult.PerClass[k]))).ToList(),
            ToJagged(heldConfusion), testResult?.Accuracy, testResult?.NotSure, testResult is null ? null : NaNToNull(testResult.ConfidentAccuracy));
        var stem = HeadTraining.Save(outPath, new BackboneFiles(manifest, source.File, source.PreprocessFile), extractor.Cut.FeatureValue, finalHead.Snapshot(), folder.Classes, notSure, summary, weights);
        LossChart.Write(stem + ".loss.png", training.History, $"{Path.GetFileName(outPath)}: {manifest.Name}, {folder.Classes.Count} classes, held-out {HeadFiles.Percent(heldAccuracy)}");
        Console.WriteLine($"wrote {outPath} (+ .labels.txt, .json, .loss.png)");

        var check = CheckExport(outPath, samples.FirstOrDefault(s => training.HeldOut.Contains(s)) ?? samples[0], features, finalHead);
        Console.WriteLine(check);
        Console.WriteLine($"time: {total.Elapsed.TotalSeconds:0.0} s end to end (features {featureSeconds:0.0} s, training {trainSeconds:0.00} s{(fine is null ? string.Empty : FormattableString.Invariant($", fine-tuning {fineSeconds:0.0} s"))})");
        return check.StartsWith("export check: ONNX Runtime agrees", StringComparison.Ordinal) ? 0 : 1;
    }

    /// <summary>Views per backbone run: up to 8, a divisor of the views per picture when one is near, so batches
    /// are full; memory grows with it (every layer's values are kept per view).</summary>
    private static int BatchFor(int views) => views switch { >= 8 when views % 8 == 0 => 8, >= 4 when views % 4 == 0 => 4, >= 8 => 8, _ => Math.Max(1, views) };

    private static double? NaNToNull(double v) => double.IsNaN(v) ? null : v;

    private static int[][] ToJagged(int[,] m) =>
        Enumerable.Range(0, m.GetLength(0)).Select(i => Enumerable.Range(0, m.GetLength(1)).Select(j => m[i, j]).ToArray()).ToArray();

    /// <summary>The training class of each test class folder, by name; a test class training never saw is an error.</summary>
    private static int[] TestLabels(ImageFolder test, IReadOnlyList<string> classes, string path)
    {
        var unknown = test.Classes.Where(c => !classes.Contains(c)).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidDataException($"{path}: test class folder(s) {string.Join(", ", unknown)} are not among the training classes ({string.Join(", ", classes)}); name the test folders as the training ones");
        }

        return test.Classes.Select(c => classes.ToList().IndexOf(c)).ToArray();
    }

    /// <summary>Each test picture as the live view sees it, classified by the trained head.</summary>
    private static TestResult Evaluate(IViewFeatures extractor, Predictor predict, int classes, ImageFolder test, int[] labels, float notSure, Action<string> warn)
    {
        var plain = new ViewFeatures(extractor, AugmentPolicy.None, 0);
        var features = ConsoleProgress.Run("test", test.Samples.Count, report => plain.Compute(test.Samples, 1, (done, _) => report(done, null), warn))
            .OfType<LabeledFeatures>().Select(s => s with { Label = labels[s.Label] }).ToList();
        int right = 0, unsure = 0, confidentRight = 0;
        foreach (var s in features)
        {
            var k = predict(s.Features, out var p);
            right += k == s.Label ? 1 : 0;
            unsure += p < notSure ? 1 : 0;
            confidentRight += p >= notSure && k == s.Label ? 1 : 0;
        }

        var n = Math.Max(1, features.Count);
        var confident = features.Count - unsure;
        return new TestResult(features.Count, right, right / (double)n, unsure / (double)n, confident == 0 ? double.NaN : confidentRight / (double)confident, Evaluation.PerClass(features, classes, predict), Evaluation.Confusion(features, classes, predict));
    }

    /// <summary>Runs the export in ONNX Runtime and the engine on one sample, resized to the input size.</summary>
    public static string CheckExport(string path, LabeledFeatures sample, IViewFeatures extractor, HeadTrainer head)
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

    private static void PrintConfusion(string what, int[,] m, IReadOnlyList<string> classes, double[] perClass) =>
        ConsoleProgress.Table(
            $"confusion ({what}; rows true, columns predicted) and accuracy per class",
            [string.Empty, .. classes, "right"],
            classes.Select((c, i) => (IReadOnlyList<string>)[c, .. Enumerable.Range(0, classes.Count).Select(j => m[i, j].ToString(CultureInfo.InvariantCulture)), HeadFiles.Percent(perClass[i])]).ToList());

    private sealed record TestResult(int Pictures, int Right, double Accuracy, double NotSure, double ConfidentAccuracy, double[] PerClass, int[,] Confusion);

    private sealed record TrainRequest(string Data, string? Backbone, string Output, int Epochs, int Hidden, TrainLayers Layers, TrainingSettings Settings, DeviceKind Device, AugmentPolicy Augment, string? Test, bool Cache)
    {
        public int FineTuneEpochs { get; init; } = 5;

        public float BackboneLearningRate { get; init; } = 1e-4f;
    }

    /// <summary>Ctrl+C cancels a token instead of killing the process, while it is alive.</summary>
    private sealed class InterruptOnCtrlC : IDisposable
    {
        private readonly CancellationTokenSource _source = new();

        public InterruptOnCtrlC() => Console.CancelKeyPress += OnCancel;

        public CancellationToken Token => _source.Token;

        public void Dispose()
        {
            Console.CancelKeyPress -= OnCancel;
            _source.Dispose();
        }

        private void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            e.Cancel = true;
            _source.Cancel();
        }
    }
}

