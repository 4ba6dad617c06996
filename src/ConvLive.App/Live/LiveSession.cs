// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.App.Loop;
using ConvLive.App.Training;
using ConvLive.Engine.Training;
using ConvLive.Capture;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Live;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Vision;
using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>
/// The live session's lifetime: opens the source, device, model and display, runs the capture and inference threads
/// (<see cref="CaptureWorker"/>, <see cref="InferenceWorker"/>) beside the render loop on the caller's thread
/// (<see cref="LiveRenderLoop"/>), joined by two newest-wins triple buffers (<see cref="LiveState"/>), and closes it
/// all. Display never waits for inference and inference never waits for the camera.
/// </summary>
/// <remarks>Owns the source, device, backend, pipeline, view and display. Construct and run on the render thread.</remarks>
internal sealed class LiveSession : IDisposable
{
    private readonly LiveOptions _options;
    private readonly TextWriter _log;
    private readonly LiveState _state;
    private readonly Display _display;
    private readonly FontAtlas _font;
    private readonly ILiveView _view;
    private bool _inferenceRunning;

    private LiveSession(LiveOptions options, TextWriter log, IFrameSource source, ComputeDevice device, IBackend? backend, IFramePipeline pipeline, Display display)
    {
        _options = options;
        _log = log;
        _state = new LiveState(source, device, backend, pipeline);
        _display = display;
        _font = GlyphRasterizer.Create(display);
        _view = pipeline is ModelPipeline model ? new ModelView(display, _font, model.Model, model.Training, model.Explain, model.Study, options.Select) : new KernelsView(display, _font, ((KernelsPipeline)pipeline).Controls);
    }

    /// <summary>Opens source, device, model and display, in that order, releasing what opened if a later step fails.</summary>
    /// <exception cref="FrameSourceException">The source does not open.</exception>
    /// <exception cref="DeviceUnavailableException">The device does not open.</exception>
    /// <exception cref="ModelException">The model is missing or does not load.</exception>
    /// <exception cref="RenderException">No window or context.</exception>
    public static LiveSession Open(LiveOptions options, TextWriter log)
    {
        // What a crash mid-save left where this run writes: samples (and the head beside them), the working folder
        // (screenshots, recordings, top-9 folders, pictures), the recording's and the stats' folders.
        Cli.Litter.Sweep(log, true, options.Samples, Directory.GetCurrentDirectory(), Cli.Litter.FolderOf(options.Record), Cli.Litter.FolderOf(options.StatsPath));
        var source = OpenSource(options.Sources.Count > 0 ? options.Sources[0] : null, log);
        ComputeDevice? device = null;
        IBackend? backend = null;
        IFramePipeline? pipeline = null;
        try
        {
            device = ComputeDevice.Open(options.Device, line => log.WriteLine($"device: {line}"), Compute(options).Threads);
            if (options.Model == "none")
            {
                backend = CreateBackend(device, options, log);
                pipeline = new KernelsPipeline(backend, new KernelControls(options.Kernels));
            }
            else
            {
                backend = CreateBackend(device, options, log);
                var (model, files) = OpenModel(options.Model, backend, log);
                UnitStudy study;
                try
                {
                    study = StudyFor(ref options, model);
                }
                catch
                {
                    model.Dispose();
                    throw;
                }

                pipeline = new ModelPipeline(model, OpenTraining(options, backend, model, files, log), new ExplainSwitch(options.Explain), study, files?.Manifest.NotSureBelow);
            }

            var display = options.Headless
                ? Display.CreateHeadless(options.Width, options.Height)
                : Display.CreateWindow("ConvLive", options.Width, options.Height);
            log.WriteLine($"source: {source.Description}");
            log.WriteLine($"device: {device.Name}");
            log.WriteLine($"{pipeline.Describe}");
            log.WriteLine($"display: {display.Kind}, {display.Renderer}, OpenGL {display.Version}");
            return new LiveSession(options, log, source, device, backend, pipeline, display);
        }
        catch
        {
            pipeline?.Dispose();
            backend?.Dispose();
            device?.Dispose();
            source.Dispose();
            throw;
        }
    }

    /// <summary>Runs until the window closes or the run's frame or time budget is spent.</summary>
    /// <returns>The process exit code: 0, or 1 after a fatal error (said in the log).</returns>
    public int Run()
    {
        var started = Stopwatch.GetTimestamp();
        var capture = new Thread(new CaptureWorker(_state, _options.Sources, _log).Run) { Name = "capture", IsBackground = true };
        var inference = new Thread(new InferenceWorker(_state, _options, _log, _display.RequestClose).Run) { Name = "inference", IsBackground = true };
        capture.Start();
        inference.Start();
        RenderResult render;
        try
        {
            using var loop = new LiveRenderLoop(_state, _options, _display, _view, _log);
            render = loop.Run();
        }
        finally
        {
            _state.Stop.Cancel();
            _state.FrameReady.Set();
            var captureStopped = capture.Join(TimeSpan.FromSeconds(5));
            _inferenceRunning = !inference.Join(TimeSpan.FromSeconds(10));
            if (!captureStopped || _inferenceRunning)
            {
                _log.WriteLine("warning: a worker thread did not stop within 10 s (a long device kernel?); exiting without waiting for it");
            }
        }

        var stats = LiveStatsCollector.Collect(_state, render, _view, _display, Stopwatch.GetElapsedTime(started).TotalSeconds);
        _log.WriteLine(stats.Summary());
        if (_options.StatsPath is { } statsPath)
        {
            stats.Write(statsPath);
            _log.WriteLine($"stats: {statsPath}");
        }

        if (_state.Fatal is { } fatal)
        {
            _log.WriteLine($"error: {fatal}");
            return 1;
        }

        if (render.Failure is { } failure)
        {
            _log.WriteLine($"error: {failure}");
            return 1;
        }

        return 0;
    }

    public void Dispose()
    {
        _view.Dispose();
        _font.Dispose();
        _display.Dispose();
        if (!_inferenceRunning)
        {
            // Freeing buffers a running kernel still uses would crash the process: when the inference thread did not
            // stop, the operating system reclaims them at exit instead.
            _state.Pipeline.Dispose();
            _state.Backend?.Dispose();
            _state.Device.Dispose();
        }

        _state.Source.Dispose();
        _state.Dispose();
    }

    private static IFrameSource OpenSource(string? spec, TextWriter log)
    {
        if (spec is not null)
        {
            return FrameSources.Open(spec);
        }

        try
        {
            return FrameSources.Open("camera:0");
        }
        catch (FrameSourceException e)
        {
            log.WriteLine($"{e.Message.Split(". ")[0]}; using --source synthetic.");
            return FrameSources.Open("synthetic");
        }
    }

    /// <summary>The study shared by the pipeline and the view, with <c>--select</c> and <c>--wants</c> checked
    /// against the model (a name it lacks, a channel or class out of range) and their layers given by readable or
    /// ONNX name resolved to the ONNX value (<paramref name="options"/> comes back with them).</summary>
    private static UnitStudy StudyFor(ref LiveOptions options, LiveModel model)
    {
        var study = new UnitStudy();
        var units = string.Join(", ", model.Taps.Skip(1).Where(t => !t.IsVector).Select(t => t.Label == t.Name ? $"{t.Name} ({t.Channels})" : $"{t.Label} = {t.Name} ({t.Channels})"));
        Cli.UnitSpec Resolve(Cli.UnitSpec u, string option)
        {
            var tap = model.Taps.Skip(1).FirstOrDefault(t => (t.Name == u.Value || t.Label == u.Value) && !t.IsVector)
                ?? throw new ModelException($"{option} {u}: {model.Name} has no layer with channels named '{u.Value}'; pick one of {units}");
            if (u.Channel < 0 || u.Channel >= tap.Channels)
            {
                throw new ModelException($"{option} {u}: '{u.Value}' has {tap.Channels} channels (0..{tap.Channels - 1})");
            }

            if (u.Position is { } p && (p.X < 0 || p.Y < 0 || p.X >= tap.Shape[3] || p.Y >= tap.Shape[2]))
            {
                throw new ModelException($"{option} {u}: '{u.Value}' maps are {tap.Shape[3]}x{tap.Shape[2]}; give a column and row inside them");
            }

            return u with { Value = tap.Name };
        }

        if (options.Select is { } select)
        {
            var resolved = Resolve(select, "--select");
            study.Select(resolved.Value, resolved.Channel);
            options = options with { Select = resolved };
        }

        if (options.Wants is { } wants)
        {
            if (wants.Unit is { } unit)
            {
                wants = wants with { Unit = Resolve(unit, "--wants") };
            }
            else if (wants.Class >= model.OutputLength)
            {
                throw new ModelException($"--wants class:{wants.Class}: {model.Name} has {model.OutputLength} outputs (0..{model.OutputLength - 1})");
            }

            study.SetWants(wants);
            options = options with { Wants = wants };
        }

        return study;
    }

    private static LiveTraining? OpenTraining(LiveOptions options, IBackend backend, LiveModel model, BackboneFiles? files, TextWriter log)
    {
        try
        {
            List<string> existing = Directory.Exists(options.Samples)
                ? [.. Directory.GetDirectories(options.Samples).Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal)]
                : [];
            var names = options.Classes.Count > 0 ? options.Classes : existing;
            var training = new LiveTraining(backend, model, files, options.Samples, names, options.Augment ? LiveTraining.Views : AugmentPolicy.None);
            training.Map.Shown = options.ShowMap;
            log.WriteLine($"samples: {Path.GetFullPath(options.Samples)} ({string.Join(", ", training.Classes.Take(Math.Max(names.Count, 3)))}); keys 1-9 capture, T trains");
            if (options.TrainOnStart)
            {
                training.Post(TrainingCommand.Train);
                if (options.FineTuneOnStart)
                {
                    training.Post(TrainingCommand.FineTune);
                }

            }

            return training;
        }
        catch (ModelException e)
        {
            log.WriteLine($"training: not available for this model ({e.Message})");
            return null;
        }
    }

    /// <summary>A backend on the device with the options asked for; an option the device cannot honour is said once, in the log.</summary>
    internal static IBackend CreateBackend(ComputeDevice device, LiveOptions options, TextWriter log) =>
        Backend.Create(device, Compute(options), line => log.WriteLine($"device: {line}"));

    /// <summary>The backend options of the run.</summary>
    internal static BackendOptions Compute(LiveOptions options) => options.Compute ?? BackendOptions.Default;

    private static (LiveModel Model, BackboneFiles? Files) OpenModel(string? requested, IBackend backend, TextWriter log)
    {
        var catalog = Cli.CommonOptions.Catalog();
        if (requested is null)
        {
            requested = catalog.Backbone(null, out var fellBack).Name;
            if (fellBack)
            {
                log.WriteLine("model: AlexNet's weights are not here, so ResNet-18 features run instead; get AlexNet with ./convlive models get alexnet");
            }
        }

        var source = ModelSource.Resolve(requested, catalog);
        return (LiveModel.Open(backend, source.Name, source.Graph, source.PreprocessGraph, source.Input, source.Labels), new BackboneFiles(source.Manifest, source.File, source.PreprocessFile));
    }
}
