// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.App.Loop;
using ConvLive.Capture;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Vision;
using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>
/// The live loop: a capture thread, an inference thread and the render thread (the caller's), joined by two
/// newest-wins triple buffers. Display never waits for inference and inference never waits for the camera.
/// </summary>
/// <remarks>Owns the source, the device, the filter and the display. Construct and run on the render thread.</remarks>
internal sealed partial class LiveSession : IDisposable
{
    private static readonly Kernel2D[] Kernels = [Kernel2D.Vertical, Kernel2D.Horizontal, Kernel2D.SobelX, Kernel2D.SobelY];

    private readonly LiveOptions _options;
    private readonly TextWriter _log;
    private readonly IFrameSource _source;
    private readonly ComputeDevice _device;
    private readonly IFrameFilter _filter;
    private readonly Display _display;
    private readonly TripleBuffer<VideoFrame> _frames = new(() => new VideoFrame());
    private readonly TripleBuffer<EdgeResult> _results = new(() => new EdgeResult());
    private readonly AutoResetEvent _frameReady = new(false);
    private readonly CancellationTokenSource _stop = new();
    private readonly SampleRecorder _latencyMs = new();
    private readonly SampleRecorder _inferenceMs = new();
    private volatile Kernel2D _kernel = Kernel2D.Vertical;
    private volatile string? _fatal;
    private long _framesCaptured;
    private long _framesInferred;
    private long _firstCaptureTicks;
    private long _lastCaptureTicks;
    private long _firstInferTicks;
    private long _lastInferTicks;

    private LiveSession(LiveOptions options, TextWriter log, IFrameSource source, ComputeDevice device, IFrameFilter filter, Display display)
    {
        _options = options;
        _log = log;
        _source = source;
        _device = device;
        _filter = filter;
        _display = display;
    }

    /// <summary>Opens source, device, kernels and display, in that order, releasing what opened if a later step fails.</summary>
    /// <exception cref="FrameSourceException">The source does not open.</exception>
    /// <exception cref="DeviceUnavailableException">The device does not open.</exception>
    /// <exception cref="RenderException">No window or context.</exception>
    public static LiveSession Open(LiveOptions options, TextWriter log)
    {
        var source = OpenSource(options.Source, log);
        ComputeDevice? device = null;
        IFrameFilter? filter = null;
        try
        {
            device = ComputeDevice.Open(options.Device, line => log.WriteLine($"device: {line}"));
            filter = FrameFilters.Create(device);
            var display = options.Headless
                ? Display.CreateHeadless(options.Width, options.Height)
                : Display.CreateWindow("ConvLive", options.Width, options.Height);
            log.WriteLine($"source: {source.Description}");
            log.WriteLine($"device: {device.Name}");
            log.WriteLine($"display: {display.Kind}, {display.Renderer}, OpenGL {display.Version}");
            return new LiveSession(options, log, source, device, filter, display);
        }
        catch
        {
            filter?.Dispose();
            device?.Dispose();
            source.Dispose();
            throw;
        }
    }

    /// <summary>Runs until the window closes, a quit key, or <see cref="LiveOptions.Frames"/> frames.</summary>
    /// <returns>The process exit code: 0 on success, 1 when the run failed.</returns>
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
            if (!capture.Join(TimeSpan.FromSeconds(5)) || !inference.Join(TimeSpan.FromSeconds(10)))
            {
                _log.WriteLine("warning: a worker thread did not stop within 10 s; exiting anyway");
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

        return render.Failure is null ? 0 : 1;
    }

    public void Dispose()
    {
        _display.Dispose();
        _filter.Dispose();
        _device.Dispose();
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

    private LiveStats CollectStats(RenderResult render, double elapsedSeconds)
    {
        static double Rate(long count, long first, long last) =>
            count > 1 && last > first ? (count - 1) / Stopwatch.GetElapsedTime(first, last).TotalSeconds : double.NaN;

        return new LiveStats
        {
            FramesRendered = render.FramesRendered,
            FramesInferred = Interlocked.Read(ref _framesInferred),
            FramesCaptured = Interlocked.Read(ref _framesCaptured),
            FramesDroppedBeforeInference = _frames.Dropped,
            DisplayFps = Rate(render.FramesRendered, render.FirstFrameTicks, render.LastFrameTicks),
            InferenceFps = Rate(_framesInferred, _firstInferTicks, _lastInferTicks),
            CaptureFps = Rate(_framesCaptured, _firstCaptureTicks, _lastCaptureTicks),
            LatencyMsP50 = _latencyMs.Percentile(50),
            LatencyMsP95 = _latencyMs.Percentile(95),
            InferenceMsP50 = _inferenceMs.Percentile(50),
            ElapsedSeconds = elapsedSeconds,
            RenderThreadBytesPerFrame = _renderAllocatedPerFrame,
            InferenceThreadBytesPerFrame = _inferenceAllocatedPerFrame,
            Device = _device.Name,
            Source = _source.Description,
            Display = $"{_display.Kind}, {_display.Renderer}",
            Kernel = _kernel.ToString(),
        };
    }
}
