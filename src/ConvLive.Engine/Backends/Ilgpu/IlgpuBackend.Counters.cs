// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU.Runtime;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>
/// Counters of what a forward costs the host: kernel launches and host synchronisations (the stream waited on).
/// Every kernel is wrapped by <c>Counted</c> when it is loaded, every wait goes through <see cref="Sync"/>; <c>bench</c>
/// prints both per forward and a test checks a forward waits only where its result is read. <see cref="CountOnly"/>
/// counts without running.
/// </summary>
public sealed partial class IlgpuBackend
{
    private long _launches;
    private long _syncs;
    private volatile bool _countOnly;

    /// <summary>Kernels launched on this backend so far.</summary>
    public long Launches => Interlocked.Read(ref _launches);

    /// <summary>Times the host waited for this backend's stream so far.</summary>
    public long HostSyncs => Interlocked.Read(ref _syncs);

    /// <summary>
    /// When set, every launch and wait is counted but none runs or waits: a forward is walked for its counts alone,
    /// which are the same as a real forward's since no launch depends on a value read back (a test holds the two equal).
    /// For models ILGPU's CPU simulator would take many minutes to run (ResNet-18 at 224×224); what the skipped kernels
    /// would have written is left as it was, so the values read while it is set mean nothing.
    /// </summary>
    public bool CountOnly
    {
        get => _countOnly;
        set => _countOnly = value;
    }

    /// <summary>Waits for the stream, counted.</summary>
    private void Sync()
    {
        Interlocked.Increment(ref _syncs);
        if (!_countOnly)
        {
            _stream.Synchronize();
        }
    }

    private Action<AcceleratorStream, T1, T2> Counted<T1, T2>(Action<AcceleratorStream, T1, T2> kernel) =>
        (stream, a1, a2) =>
        {
            Interlocked.Increment(ref _launches);
            if (!_countOnly)
            {
                kernel(stream, a1, a2);
            }
        };

    private Action<AcceleratorStream, T1, T2, T3> Counted<T1, T2, T3>(Action<AcceleratorStream, T1, T2, T3> kernel) =>
        (stream, a1, a2, a3) =>
        {
            Interlocked.Increment(ref _launches);
            if (!_countOnly)
            {
                kernel(stream, a1, a2, a3);
            }
        };

    private Action<AcceleratorStream, T1, T2, T3, T4> Counted<T1, T2, T3, T4>(Action<AcceleratorStream, T1, T2, T3, T4> kernel) =>
        (stream, a1, a2, a3, a4) =>
        {
            Interlocked.Increment(ref _launches);
            if (!_countOnly)
            {
                kernel(stream, a1, a2, a3, a4);
            }
        };

    private Action<AcceleratorStream, T1, T2, T3, T4, T5> Counted<T1, T2, T3, T4, T5>(Action<AcceleratorStream, T1, T2, T3, T4, T5> kernel) =>
        (stream, a1, a2, a3, a4, a5) =>
        {
            Interlocked.Increment(ref _launches);
            if (!_countOnly)
            {
                kernel(stream, a1, a2, a3, a4, a5);
            }
        };

    private Action<AcceleratorStream, T1, T2, T3, T4, T5, T6> Counted<T1, T2, T3, T4, T5, T6>(Action<AcceleratorStream, T1, T2, T3, T4, T5, T6> kernel) =>
        (stream, a1, a2, a3, a4, a5, a6) =>
        {
            Interlocked.Increment(ref _launches);
            if (!_countOnly)
            {
                kernel(stream, a1, a2, a3, a4, a5, a6);
            }
        };

    private Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7> Counted<T1, T2, T3, T4, T5, T6, T7>(Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7> kernel) =>
        (stream, a1, a2, a3, a4, a5, a6, a7) =>
        {
            Interlocked.Increment(ref _launches);
            if (!_countOnly)
            {
                kernel(stream, a1, a2, a3, a4, a5, a6, a7);
            }
        };

    private Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7, T8> Counted<T1, T2, T3, T4, T5, T6, T7, T8>(Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7, T8> kernel) =>
        (stream, a1, a2, a3, a4, a5, a6, a7, a8) =>
        {
            Interlocked.Increment(ref _launches);
            if (!_countOnly)
            {
                kernel(stream, a1, a2, a3, a4, a5, a6, a7, a8);
            }
        };

    private Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7, T8, T9> Counted<T1, T2, T3, T4, T5, T6, T7, T8, T9>(Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel) =>
        (stream, a1, a2, a3, a4, a5, a6, a7, a8, a9) =>
        {
            Interlocked.Increment(ref _launches);
            if (!_countOnly)
            {
                kernel(stream, a1, a2, a3, a4, a5, a6, a7, a8, a9);
            }
        };

    private Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> Counted<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> kernel) =>
        (stream, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) =>
        {
            Interlocked.Increment(ref _launches);
            if (!_countOnly)
            {
                kernel(stream, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10);
            }
        };

    private Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> Counted<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> kernel) =>
        (stream, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) =>
        {
            Interlocked.Increment(ref _launches);
            if (!_countOnly)
            {
                kernel(stream, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
            }
        };

    private Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> Counted<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> kernel) =>
        (stream, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12) =>
        {
            Interlocked.Increment(ref _launches);
            if (!_countOnly)
            {
                kernel(stream, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12);
            }
        };

    private Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13> Counted<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>(Action<AcceleratorStream, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13> kernel) =>
        (stream, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13) =>
        {
            Interlocked.Increment(ref _launches);
            if (!_countOnly)
            {
                kernel(stream, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13);
            }
        };
}
