// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.Engine.Backends;
using ConvLive.Render.Gl;

namespace ConvLive.App.Loop;

/// <summary>What the process held at one moment of a run.</summary>
/// <param name="Seconds">Since the loop started.</param>
/// <param name="ManagedHeapBytes">GC heap in use (what is live, when the sampler collects first).</param>
/// <param name="WorkingSetBytes">Process resident memory.</param>
/// <param name="GlObjects">Live GL objects.</param>
/// <param name="DeviceBuffers">Live backend buffers.</param>
/// <param name="DeviceBytes">Their bytes.</param>
/// <param name="FramesRendered">Frames displayed so far.</param>
internal readonly record struct ResourceSample(double Seconds, long ManagedHeapBytes, long WorkingSetBytes, long GlObjects, long DeviceBuffers, long DeviceBytes, long FramesRendered);

/// <summary>
/// Samples memory, GL objects and device buffers every <see cref="Interval"/> on the render thread, into a fixed
/// array (no allocation per sample), so a long run shows whether anything grows after warm-up. With
/// <paramref name="collect"/> each sample first runs a full blocking collection, so the heap figure is what is live
/// rather than what the collector has not yet got round to (a soak's leak check needs that: in a short run one
/// exported model's arrays sit in the heap until the next full collection, and may not meet one); the cost is a
/// pause at each sample.
/// </summary>
internal sealed class ResourceSampler(TimeSpan interval, bool collect = false, int capacity = 8192)
{
    private readonly ResourceSample[] _samples = new ResourceSample[capacity];
    private long _started = Stopwatch.GetTimestamp();
    private long _next;

    public TimeSpan Interval { get; } = interval;

    public int Count { get; private set; }

    public ReadOnlySpan<ResourceSample> Samples => _samples.AsSpan(0, Count);

    public void Start()
    {
        _started = Stopwatch.GetTimestamp();
        _next = 0;
    }

    /// <summary>Takes a sample when the interval has passed (always the first time).</summary>
    public void Tick(long framesRendered)
    {
        var now = Stopwatch.GetTimestamp();
        if (now < _next || Count == _samples.Length)
        {
            return;
        }

        _next = now + (long)(Interval.TotalSeconds * Stopwatch.Frequency);
        _samples[Count++] = new ResourceSample(
            Stopwatch.GetElapsedTime(_started, now).TotalSeconds,
            GC.GetTotalMemory(forceFullCollection: collect),
            Environment.WorkingSet,
            GlObjects.Live,
            DeviceMemory.LiveBuffers,
            DeviceMemory.LiveBytes,
            framesRendered);
    }
}
