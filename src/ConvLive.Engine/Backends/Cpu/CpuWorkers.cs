// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>One loop's body for <see cref="CpuWorkers.For(int, IWorkItem)"/>: an object kept by its op, so
/// starting a loop allocates nothing.</summary>
public interface IWorkItem
{
    /// <summary>Runs work item <paramref name="index"/>; called from several threads at once.</summary>
    /// <param name="index">The item, 0 ≤ index &lt; count.</param>
    void Run(int index);
}

/// <summary>
/// A fixed team of worker threads for the CPU backend's parallel loops. Unlike Parallel.For it allocates nothing
/// per loop and keeps its threads warm, which matters at batch 1 where a loop lasts tens of microseconds.
/// The calling thread works too, so a team of N uses N − 1 extra threads.
/// </summary>
/// <remarks>Owns its threads; Dispose stops them. <c>For</c> may be called from one thread at a time, and not from inside
/// one of its own work items: a second loop while one runs is refused with an exception (it would overwrite the running
/// loop's shares and counters, and the caller would wait for ever). The refusal is best-effort: one-item loops, a team of
/// one and calls from two threads that do not overlap in time pass unchecked, and the ops' own work items are single
/// objects, so a backend is still used from one thread at a time.</remarks>
public sealed class CpuWorkers : IDisposable
{
    private static readonly TimeSpan StuckWarning = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a thread spins for the next loop (a worker) or for the others to finish one (the caller) before it
    /// blocks. A forward is dozens of loops a few hundred microseconds apart; waking a blocked thread costs tens
    /// of microseconds on a virtual machine (more when the host is busy), paid twice a loop, so blocking between
    /// them cost up to a third of a ResNet-18 forward. Idle threads still sleep after this long.
    /// </summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000; // 200 µs

    private readonly Thread[] _threads;
    private readonly object _wake = new(); // sleeping workers wait on it; a loop pulses them all
    private readonly SemaphoreSlim _finished = new(0); // the last worker out wakes a caller blocked on it
    private Action<int>? _body;
    private IWorkItem? _item;
    private readonly Share[] _shares; // each thread's contiguous share of the current loop's items
    private int _running;
    private int _inLoop; // 1 while a parallel loop runs: a second one is refused, not left to hang
    private int _generation; // bumped by each loop; workers spin on it, then sleep on _wake
    private int _sleepers;   // workers asleep (or about to sleep) on _wake
    private int _callerWaiting; // 1 while the caller is blocked (or about to block) on _finished
    private Exception? _failure;
    private volatile bool _stopping;
    private volatile int _nice;
    private bool _disposed;

    /// <summary>Starts <paramref name="threads"/> − 1 workers.</summary>
    /// <param name="threads">Threads to use in all, the caller included; defaults to the core count.</param>
    public CpuWorkers(int threads = 0)
    {
        Size = threads > 0 ? threads : Environment.ProcessorCount;
        _shares = new Share[Size];
        _threads = new Thread[Size - 1];
        for (var i = 0; i < _threads.Length; i++)
        {
            var slot = i + 1; // the caller works share 0
            _threads[i] = new Thread(() => WorkerLoop(slot)) { Name = $"convlive-cpu-{i + 1}", IsBackground = true };
            _threads[i].Start();
        }
    }

    /// <summary>Threads a loop runs on, the caller included.</summary>
    public int Size { get; }

    /// <summary>
    /// The niceness of the worker threads (Linux; applied by each worker when it next wakes). The calling thread,
    /// which works too, sets its own with <see cref="ThreadNice.TrySet"/>.
    /// </summary>
    public int Nice
    {
        get => _nice;
        set => _nice = value;
    }

    /// <summary>Runs <paramref name="body"/>(i) for i in [0, count) across the team and waits for all of them.</summary>
    /// <param name="count">Number of work items; each should be large enough to be worth a thread (a band of rows).</param>
    /// <param name="body">The work; keep the delegate in a field so calling allocates nothing.</param>
    /// <exception cref="AggregateException">A work item threw; the first exception is inside.</exception>
    public void For(int count, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count <= 1 || _threads.Length == 0)
        {
            for (var i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        Enter();
        try
        {
            RunLoop(count, body);
        }
        finally
        {
            Volatile.Write(ref _inLoop, 0);
        }
    }

    /// <summary>Claims the team for one loop, or refuses a second while one runs.</summary>
    private void Enter()
    {
        if (Interlocked.Exchange(ref _inLoop, 1) != 0)
        {
            throw new InvalidOperationException("CpuWorkers.For was called while one of its loops was running (from a work item, or from a second thread): "
                + "a backend's operations must run one at a time on one thread, outside its own loops");
        }
    }

    private void RunLoop(int count, Action<int> body)
    {
        _body = body;
        for (var t = 0; t < _shares.Length; t++)
        {
            _shares[t].Next = (int)((long)count * t / _shares.Length);
            _shares[t].End = (int)((long)count * (t + 1) / _shares.Length);
        }

        _failure = null;
        _running = _threads.Length + 1; // every worker joins; those that find no item left leave at once
        Interlocked.Increment(ref _generation); // publishes the fields above (a full fence)
        if (Volatile.Read(ref _sleepers) > 0)
        {
            WakeAll();
        }

        Work(0);
        if (Interlocked.Decrement(ref _running) != 0 && !SpinWhile(ref _running, 0, whileEqual: false))
        {
            // The same handshake as the workers' sleep: announce, then look. A wake-up left over from an earlier
            // loop (its last worker saw this flag late) only makes the loop look again.
            Interlocked.Exchange(ref _callerWaiting, 1);
            while (Volatile.Read(ref _running) != 0)
            {
                _finished.Wait(StuckWarning); // a work item that runs this long is a bug elsewhere; keep waiting
            }

            Volatile.Write(ref _callerWaiting, 0);
        }

        _body = null;
        if (_failure is { } failure)
        {
            throw new AggregateException("a CPU backend work item failed", failure);
        }
    }

    /// <summary>Runs <paramref name="item"/>.Run(i) for i in [0, count): the allocation-free form for the hot path,
    /// where an op keeps one work-item object and sets its fields before each loop.</summary>
    /// <param name="count">Number of work items.</param>
    /// <param name="item">The work; not kept after the call.</param>
    public void For(int count, IWorkItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count <= 1 || _threads.Length == 0)
        {
            // On the caller, touching nothing a running loop reads (allowed inside one).
            for (var i = 0; i < count; i++)
            {
                item.Run(i);
            }

            return;
        }

        Enter(); // before _item is set: a refused loop must not replace the running loop's item
        _item = item;
        try
        {
            RunLoop(count, _runItem ??= RunItem);
        }
        finally
        {
            _item = null;
            Volatile.Write(ref _inLoop, 0);
        }
    }

    /// <summary>Stops the workers after any loop in progress.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stopping = true;
        Interlocked.Increment(ref _generation);
        WakeAll();

        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }

        _finished.Dispose();
    }

    private Action<int>? _runItem;

    /// <summary>
    /// Spins while <paramref name="location"/> equals (or, with <paramref name="whileEqual"/> false, differs from)
    /// <paramref name="value"/>, at most <see cref="SpinTicks"/>; whether the spin ended by the value changing.
    /// </summary>
    private static bool SpinWhile(ref int location, int value, bool whileEqual)
    {
        var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
        for (var spins = 1; ; spins++)
        {
            if ((Volatile.Read(ref location) == value) != whileEqual)
            {
                return true;
            }

            if ((spins & 63) == 0)
            {
                if (System.Diagnostics.Stopwatch.GetTimestamp() > deadline)
                {
                    return false;
                }

                // Give the core up to any thread waiting for it: with more runnable threads than cores (a training
                // team beside the inference team, the render thread) the thread this spin waits for may be the one
                // waiting; sched_yield returns at once when nobody is.
                Thread.Yield();
            }

            Thread.SpinWait(4);
        }
    }

    /// <summary>A worker's wait for the loop after <paramref name="seen"/>: spinning, then asleep on the monitor.</summary>
    private int NextLoop(int seen)
    {
        if (!SpinWhile(ref _generation, seen, whileEqual: true))
        {
            // Announce the sleep before the last look, and For bumps the generation before it counts sleepers: one
            // of the two sees the other, so a loop never starts without waking a sleeper. The look and the wait
            // are under the lock the wake-up takes, so a pulse cannot fall between them; and a pulse wakes every
            // sleeper (a semaphore's permits can be taken by a worker already back for the next loop, leaving
            // another asleep through the loop it was released for).
            Interlocked.Increment(ref _sleepers);
            lock (_wake)
            {
                while (Volatile.Read(ref _generation) == seen)
                {
                    Monitor.Wait(_wake);
                }
            }

            Interlocked.Decrement(ref _sleepers);
        }

        return Volatile.Read(ref _generation);
    }

    private void RunItem(int i) => _item!.Run(i);

    private void WakeAll()
    {
        lock (_wake)
        {
            Monitor.PulseAll(_wake);
        }
    }

    /// <summary>
    /// Runs the items of share <paramref name="slot"/>, then helps with the others' until none is left. Each thread
    /// starting on its own contiguous share keeps the same items (the same weight panels or input chunks, the same
    /// tiles) on the same core loop after loop, so they stay in that core's caches between frames; taken first come
    /// first served, they changed cores every forward (ResNet-18 on a 2-core EPYC: 1.21–1.28× ONNX Runtime's time
    /// before, 1.11–1.14× after, builds alternating). Every claim is an atomic increment of one share's cursor,
    /// so each item runs exactly once.
    /// </summary>
    private void Work(int slot)
    {
        var body = _body!;
        for (var k = 0; k < _shares.Length; k++)
        {
            ref var share = ref _shares[(slot + k) % _shares.Length];
            int i;
            while ((i = Interlocked.Increment(ref share.Next) - 1) < share.End)
            {
                try
                {
                    body(i);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, e, null);
                }
            }
        }
    }

    /// <summary>One thread's share of a loop: items [Next, End) not yet claimed; a cache line of its own (two,
    /// for the adjacent-line prefetcher), so claims on one share do not slow the others.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 128)]
    private struct Share
    {
        [System.Runtime.InteropServices.FieldOffset(0)]
        public int Next;

        [System.Runtime.InteropServices.FieldOffset(4)]
        public int End;
    }

    private void WorkerLoop(int slot)
    {
        var applied = 0;
        var seen = 0;
        while (true)
        {
            seen = NextLoop(seen);
            if (_stopping)
            {
                return;
            }

            if (_nice != applied)
            {
                applied = _nice;
                ThreadNice.TrySet(applied);
            }

            Work(slot);
            if (Interlocked.Decrement(ref _running) == 0 && Volatile.Read(ref _callerWaiting) == 1)
            {
                _finished.Release();
            }
        }
    }
}
