// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.App.Loop;
using ConvLive.App.Training;
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
/// The live loop: a capture thread, an inference thread and the render thread (the caller's), joined by two
/// newest-wins triple buffers. Display never waits for inference and inference never waits for the camera.
/// </summary>
/// <remarks>Owns the source, device, backend, pipeline and display. Construct and run on the render thread.</remarks>
internal sealed partial class LiveSession : IDisposable
{
    private readonly LiveOptions _options;
    private readonly TextWriter _log;
    private volatile ComputeDevice _device;
    private volatile IBackend? _backend;
    private volatile IFramePipeline _pipeline;
    private readonly Display _display;
    private readonly FontAtlas _font;
    private readonly ILiveView _view;
    private readonly TripleBuffer<VideoFrame> _frames = new(() => new VideoFrame());
    private readonly TripleBuffer<FrameResult> _results = new(() => new FrameResult());
    private readonly AutoResetEvent _frameReady = new(false);
    private readonly CancellationTokenSource _stop = new();
    private readonly SampleRecorder _latencyMs = new();
    private ResourceSampler _resources = new(TimeSpan.FromSeconds(10));
    private readonly SampleRecorder _captureMs = new();
    private readonly SampleRecorder _preprocessMs = new();
    private readonly SampleRecorder _forwardMs = new();
    private readonly SampleRecorder _packMs = new();
    private readonly SampleRecorder _uploadMs = new();
    private readonly SampleRecorder _drawMs = new();
    private volatile IFrameSource _source;
    private volatile int _nextSource = -1;
    private volatile int _sourceIndex;
    private volatile string? _fatal;
    private volatile string? _notice;
    private int _faultAfterFrames;
    private bool _inferenceRunning;
    private long _framesCaptured;
    private long _framesInferred;
    private long _firstCaptureTicks;
    private long _lastCaptureTicks;
    private long _firstInferTicks;
    private long _lastInferTicks;

    private LiveSession(LiveOptions options, TextWriter log, IFrameSource source, ComputeDevice device, IBackend? backend, IFramePipeline pipeline, Display display)
    {
        _options = options;
        _log = log;
        _source = source;
        _device = device;
        _backend = backend;
        _pipeline = pipeline;
        _display = display;
        _font = GlyphRasterizer.Create(display);
        _view = pipeline is ModelPipeline model ? new ModelView(display, _font, model.Model, model.Training) : new KernelsView(display, _font, ((KernelsPipeline)pipeline).Controls);
    }

    /// <summary>Opens source, device, model and display, in that order, releasing what opened if a later step fails.</summary>
    /// <exception cref="FrameSourceException">The source does not open.</exception>
    /// <exception cref="DeviceUnavailableException">The device does not open.</exception>
    /// <exception cref="ModelException">The model is missing or does not load.</exception>
    /// <exception cref="RenderException">No window or context.</exception>
    public static LiveSession Open(LiveOptions options, TextWriter log)
    {
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
                pipeline = new ModelPipeline(model, OpenTraining(options, backend, model, files, log));
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

    public int Run()
    {
        var started = Stopwatch.GetTimestamp();
        var capture = new Thread(CaptureLoop) { Name = "capture", IsBackground = true };
        var inference = new Thread(InferenceLoop) { Name = "inference", IsBackground = true };
        capture.Start();
        inference.Start();
        RenderResult render;
        try
        {
            render = RenderLoop();
        }
        finally
        {
            _stop.Cancel();
            _frameReady.Set();
            var captureStopped = capture.Join(TimeSpan.FromSeconds(5));
            _inferenceRunning = !inference.Join(TimeSpan.FromSeconds(10));
            if (!captureStopped || _inferenceRunning)
            {
                _log.WriteLine("warning: a worker thread did not stop within 10 s (a long device kernel?); exiting without waiting for it");
            }
        }

        var stats = CollectStats(render, Stopwatch.GetElapsedTime(started).TotalSeconds);
        _log.WriteLine(stats.Summary());
        if (_options.StatsPath is { } statsPath)
        {
            stats.Write(statsPath);
            _log.WriteLine($"stats: {statsPath}");
        }

        if (_fatal is { } fatal)
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
            _pipeline.Dispose();
            _backend?.Dispose();
            _device.Dispose();
        }
        _source.Dispose();
        _frameReady.Dispose();
        _stop.Dispose();
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

    private static LiveTraining? OpenTraining(LiveOptions options, IBackend backend, LiveModel model, BackboneFiles? files, TextWriter log)
    {
        try
        {
            List<string> existing = Directory.Exists(options.Samples)
                ? [.. Directory.GetDirectories(options.Samples).Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal)]
                : [];
            var names = options.Classes.Count > 0 ? options.Classes : existing;
            var training = new LiveTraining(backend, model, files, options.Samples, names);
            log.WriteLine($"samples: {Path.GetFullPath(options.Samples)} ({string.Join(", ", training.Classes.Take(Math.Max(names.Count, 3)))}); keys 1-9 capture, T trains");
            if (options.TrainOnStart)
            {
                training.Post(TrainingCommand.Train);
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
    private static IBackend CreateBackend(ComputeDevice device, LiveOptions options, TextWriter log) =>
        Backend.Create(device, Compute(options), line => log.WriteLine($"device: {line}"));

    private static BackendOptions Compute(LiveOptions options) => options.Compute ?? BackendOptions.Default;

    private static (LiveModel Model, BackboneFiles? Files) OpenModel(string? requested, IBackend backend, TextWriter log)
    {
        var catalog = ModelCatalog.Default();
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

    private LiveStats CollectStats(RenderResult render, double elapsedSeconds)
    {
        static double Rate(long count, long first, long last) =>
            count > 1 && last > first ? (count - 1) / Stopwatch.GetElapsedTime(first, last).TotalSeconds : double.NaN;

        return new LiveStats
        {
            FramesRendered = render.FramesRendered,
            FramesComposed = _framesComposed,
            FramesInferred = Interlocked.Read(ref _framesInferred),
            FramesCaptured = Interlocked.Read(ref _framesCaptured),
            FramesDroppedBeforeInference = _frames.Dropped,
            // The display's steady rate: from 30 frames after the first result reached the screen (first textures
            // made and sized) on, when the run went that far; the inference and capture rates start at their first frame.
            DisplayFps = render.WarmTicks > 0 && render.FramesRendered - render.WarmFrame >= WarmupFrames
                ? Rate(render.FramesRendered - render.WarmFrame + 1, render.WarmTicks, render.LastFrameTicks)
                : Rate(render.FramesRendered, render.FirstFrameTicks, render.LastFrameTicks),
            InferenceFps = Rate(_framesInferred, _firstInferTicks, _lastInferTicks),
            CaptureFps = Rate(_framesCaptured, _firstCaptureTicks, _lastCaptureTicks),
            LatencyMsP50 = _latencyMs.Percentile(50),
            LatencyMsP95 = _latencyMs.Percentile(95),
            InferenceMsP50 = _forwardMs.Percentile(50),
            CaptureMsP50 = _captureMs.Percentile(50),
            PreprocessMsP50 = _preprocessMs.Percentile(50),
            ForwardMsP50 = _forwardMs.Percentile(50),
            PackMsP50 = _packMs.Percentile(50),
            UploadMsP50 = _uploadMs.Percentile(50),
            DrawMsP50 = _drawMs.Percentile(50),
            TappedLayers = _view.TappedLayers,
            Selection = _view.Selection,
            ClickInfo = _view.ClickInfo,
            ElapsedSeconds = elapsedSeconds,
            RenderThreadBytesPerFrame = _renderAllocatedPerFrame,
            InferenceThreadBytesPerFrame = _inferenceAllocatedPerFrame,
            Device = _backend?.Options.FullyConnectedWeights is { } precision && precision != WeightPrecision.Float32
                ? $"{_device.Name}, {precision.ToName()} fully connected weights"
                : _device.Name,
            Source = _source.Description,
            Display = $"{_display.Kind}, {_display.Renderer}",
            Kernel = _pipeline is KernelsPipeline k ? k.Controls.Current.Filter.Kernel.ToString() : string.Empty,
            KernelSetting = _pipeline is KernelsPipeline ks ? KernelControls.Describe(ks.Controls.Current) : string.Empty,
            Model = _pipeline is ModelPipeline m ? m.Model.Name : "none",
            Training = _pipeline is ModelPipeline { Training: { } t } ? t.Status.Lines : [],
            Resources = _resources.Samples.ToArray(),
        };
    }
}
