// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Loop;
using ConvLive.Capture;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;

namespace ConvLive.App.Live;

/// <summary>
/// What the capture, inference and render threads share: the two newest-wins hand-offs, the current source, device
/// and pipeline (swapped on Tab or after a device failure), the messages for the screen, counters and timings.
/// </summary>
/// <remarks>Owns the hand-offs, the event and the cancellation; not the source, device or pipeline (the session
/// does). Members are safe to read from any thread; each is written by the thread its comment names.</remarks>
internal sealed class LiveState : IDisposable
{
    /// <summary>Frames after which a loop counts as warm: textures, buffers and JIT settled.</summary>
    public const int WarmupFrames = 30;

    private volatile IFrameSource _source;
    private volatile ComputeDevice _device;
    private volatile IBackend? _backend;
    private volatile IFramePipeline _pipeline;
    private volatile string? _fatal;
    private volatile string? _notice;
    private volatile string? _problem;
    private volatile int _sourceIndex;
    private int _nextSource = -1;

    public LiveState(IFrameSource source, ComputeDevice device, IBackend? backend, IFramePipeline pipeline)
    {
        _source = source;
        _device = device;
        _backend = backend;
        _pipeline = pipeline;
        Results = new TripleBuffer<FrameResult>(pipeline.CreateResult);
    }

    /// <summary>Capture → inference.</summary>
    public TripleBuffer<VideoFrame> Frames { get; } = new(() => new VideoFrame());

    /// <summary>Inference → render; slots of the pipeline's own result kind.</summary>
    public TripleBuffer<FrameResult> Results { get; }

    /// <summary>Set by capture when a frame is published.</summary>
    public AutoResetEvent FrameReady { get; } = new(false);

    /// <summary>Cancelled when the run ends.</summary>
    public CancellationTokenSource Stop { get; } = new();

    /// <summary>The frame source (capture thread swaps it).</summary>
    public IFrameSource Source { get => _source; set => _source = value; }

    /// <summary>Which of the <c>--source</c> list is open.</summary>
    public int SourceIndex { get => _sourceIndex; set => _sourceIndex = value; }

    /// <summary>The device, backend and pipeline (inference thread swaps them after a failure).</summary>
    public ComputeDevice Device { get => _device; set => _device = value; }

    /// <inheritdoc cref="Device"/>
    public IBackend? Backend { get => _backend; set => _backend = value; }

    /// <inheritdoc cref="Device"/>
    public IFramePipeline Pipeline { get => _pipeline; set => _pipeline = value; }

    /// <summary>Why the run must end (inference thread), or null.</summary>
    public string? Fatal { get => _fatal; set => _fatal = value; }

    /// <summary>A lasting message for the status line (the device fallback), or null.</summary>
    public string? Notice { get => _notice; set => _notice = value; }

    /// <summary>The capture's current problem (capture thread), or null.</summary>
    public string? Problem { get => _problem; set => _problem = value; }

    /// <summary>Frames captured and inferred, with first and last times.</summary>
    public RateCounter Captured { get; } = new();

    /// <inheritdoc cref="Captured"/>
    public RateCounter Inferred { get; } = new();

    /// <summary>Milliseconds per stage, recorded by the thread that does the stage.</summary>
    public SampleRecorder LatencyMs { get; } = new();

    /// <inheritdoc cref="LatencyMs"/>
    public SampleRecorder CaptureMs { get; } = new();

    /// <inheritdoc cref="LatencyMs"/>
    public SampleRecorder PreprocessMs { get; } = new();

    /// <inheritdoc cref="LatencyMs"/>
    public SampleRecorder ForwardMs { get; } = new();

    /// <inheritdoc cref="LatencyMs"/>
    public SampleRecorder PackMs { get; } = new();

    /// <inheritdoc cref="LatencyMs"/>
    public SampleRecorder UploadMs { get; } = new();

    /// <inheritdoc cref="LatencyMs"/>
    public SampleRecorder ExplainMs { get; } = new();

    /// <summary>Milliseconds of a frame's activation-maximisation steps (when W is on).</summary>
    public SampleRecorder WantsMs { get; } = new();

    /// <inheritdoc cref="LatencyMs"/>
    public SampleRecorder DrawMs { get; } = new();

    /// <summary>Bytes the inference thread allocated per frame after warm-up (NaN before).</summary>
    public double InferenceAllocatedPerFrame { get; set; } = double.NaN;

    /// <summary>Asks the capture thread to open source <paramref name="index"/> next (render thread).</summary>
    public void RequestSource(int index) => Volatile.Write(ref _nextSource, index);

    /// <summary>The source asked for since the last call, or −1 (capture thread).</summary>
    public int TakeRequestedSource() => Interlocked.Exchange(ref _nextSource, -1);

    public void Dispose()
    {
        FrameReady.Dispose();
        Stop.Dispose();
    }
}
