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
/// <remarks>Owns its threads; Dispose stops them. <c>For</c> may be called from one thread at a time.</remarks>
public sealed class CpuWorkers : IDisposable
{
    private static readonly TimeSpan StuckWarning = TimeSpan.FromSeconds(30);

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _start = new(0);
    private readonly ManualResetEventSlim _done = new(false);
    private Action<int>? _body;
    private IWorkItem? _item;
    private int _count;
    private int _next;
    private int _running;
    private Exception? _failure;
    private volatile bool _stopping;
    private volatile int _nice;
    private bool _disposed;

    /// <summary>Starts <paramref name="threads"/> − 1 workers.</summary>
    /// <param name="threads">Threads to use in all, the caller included; defaults to the core count.</param>
    public CpuWorkers(int threads = 0)
    {
        Size = threads > 0 ? threads : Environment.ProcessorCount;
        _threads = new Thread[Size - 1];
        for (var i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(WorkerLoop) { Name = $"convlive-cpu-{i + 1}", IsBackground = true };
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

        _body = body;
        _count = count;
        _next = 0;
        _failure = null;
        var helpers = Math.Min(_threads.Length, count - 1);
        _running = helpers + 1;
        _done.Reset();
        _start.Release(helpers);
        Work();
        if (Interlocked.Decrement(ref _running) != 0)
        {
            while (!_done.Wait(StuckWarning))
            {
                // A work item that runs this long is a bug elsewhere; keep waiting rather than return early.
            }
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
        _item = item;
        try
        {
            For(count, _runItem ??= RunItem);
        }
        finally
        {
            _item = null;
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
        if (_threads.Length > 0)
        {
            _start.Release(_threads.Length);
        }

        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }

        _start.Dispose();
        _done.Dispose();
    }

    private Action<int>? _runItem;

    private void RunItem(int i) => _item!.Run(i);

    private void Work()
    {
        var body = _body!;
        int i;
        while ((i = Interlocked.Increment(ref _next) - 1) < _count)
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

    private void WorkerLoop()
    {
        var applied = 0;
        while (true)
        {
            _start.Wait();
            if (_stopping)
            {
                return;
            }

            if (_nice != applied)
            {
                applied = _nice;
                ThreadNice.TrySet(applied);
            }

            Work();
            if (Interlocked.Decrement(ref _running) == 0)
            {
                _done.Set();
            }
        }
    }
}
