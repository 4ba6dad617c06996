// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends.Cpu;

namespace ConvLive.Engine.Tests;

public sealed class CpuWorkersTests
{
    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 1)]
    [InlineData(3, 7)]
    [InlineData(4, 1000)]
    public async Task EveryIndexRunsExactlyOnceLoopAfterLoop(int threads, int count)
    {
        using var workers = new CpuWorkers(threads);
        var hits = new int[count];
        Action<int> body = i => Interlocked.Increment(ref hits[i]);

        // On a thread of its own, so a worker left asleep through a loop fails the test instead of hanging the run.
        var loops = Task.Run(() =>
        {
            for (var loop = 1; loop <= 200; loop++)
            {
                workers.For(count, body);
                Assert.All(hits, h => Assert.Equal(loop, h));
            }
        });
        var finished = await Task.WhenAny(loops, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(finished == loops, "the loops stalled: a worker slept through a loop it was woken for");
        await loops; // its assertion failures, if any
    }

    [SkippableFact]
    public void TheWorkersTakeTheNicenessAskedForAndTheCallerKeepsItsOwn()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "niceness is a Linux setting here");
        using var workers = new CpuWorkers(2);
        workers.Nice = 7;
        var caller = Environment.CurrentManagedThreadId;
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<bool, int>();
        using var both = new CountdownEvent(2);

        // Two items that wait for each other run on two threads: the caller and the worker.
        workers.For(2, _ =>
        {
            both.Signal();
            Assert.True(both.Wait(TimeSpan.FromSeconds(10)), "the two items never ran together");
            seen[Environment.CurrentManagedThreadId == caller] = ThreadNice.Current();
        });

        Assert.Equal(7, seen[false]);
        Assert.Equal(ThreadNice.Current(), seen[true]);
    }

    [Fact]
    public void AFailingItemSurfacesInTheCallerAndTheTeamKeepsWorking()
    {
        using var workers = new CpuWorkers(2);
        var e = Assert.Throws<AggregateException>(() => workers.For(8, i => throw new InvalidOperationException($"item {i}")));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        var sum = 0;
        workers.For(8, i => Interlocked.Add(ref sum, i));
        Assert.Equal(28, sum);
    }

    [Fact]
    public async Task ALoopStartedInsideALoopIsRefusedInsteadOfHanging()
    {
        // Without the refusal the nested loops overwrite the running one's state and never finish: bounded here, so
        // that shows as a failure, not a hung run.
        var check = Task.Run(NestedLoopsAreRefused);
        Assert.True(await Task.WhenAny(check, Task.Delay(TimeSpan.FromSeconds(60))) == check, "a loop started inside a loop hung");
        await check;
    }

    private static void NestedLoopsAreRefused()
    {
        using var workers = new CpuWorkers(2);
        var nested = Assert.Throws<AggregateException>(() => workers.For(4, _ => workers.For(4, _ => { })));
        Assert.Contains("while one of its loops was running", Assert.IsType<InvalidOperationException>(nested.InnerException).Message);

        // A loop of one item runs on the caller and touches no shared state: allowed inside a loop.
        var inner = 0;
        workers.For(4, _ => workers.For(1, _ => Interlocked.Increment(ref inner)));
        Assert.Equal(4, inner);

        // The work-item form too, and the refused loop leaves the running loop's items alone.
        var outer = new Counting(workers);
        Assert.Throws<AggregateException>(() => workers.For(4, outer));
        Assert.Equal(4, outer.Runs);

        // The team still works afterwards.
        var sum = 0;
        workers.For(8, i => Interlocked.Add(ref sum, i));
        Assert.Equal(28, sum);
    }

    /// <summary>Counts its runs and tries to start a loop of another item from inside each.</summary>
    private sealed class Counting(CpuWorkers workers) : IWorkItem
    {
        private int _runs;

        public int Runs => _runs;

        public void Run(int index)
        {
            Interlocked.Increment(ref _runs);
            workers.For(4, new Counting(workers));
        }
    }

    [Fact]
    public void EachThreadRunsItsOwnShareFirstLoopAfterLoop()
    {
        // Four items on two threads: the caller's share is items 0 and 1, the worker's 2 and 3. Item 0 waits until
        // item 2 has started, so the worker must start on its own share while the caller is busy (first come first
        // served handed it item 1 instead); item 1 outlasts items 2 and 3 together, so neither thread is left to
        // help the other. So a frame's panels stay on the core that has them in cache.
        using var workers = new CpuWorkers(2);
        var caller = Environment.CurrentManagedThreadId;
        for (var loop = 0; loop < 10; loop++)
        {
            using var secondShareStarted = new ManualResetEventSlim();
            var onCaller = new bool[4];
            workers.For(4, i =>
            {
                onCaller[i] = Environment.CurrentManagedThreadId == caller;
                if (i == 0)
                {
                    Assert.True(secondShareStarted.Wait(TimeSpan.FromSeconds(10)), "item 2 never started while item 0 ran");
                }
                else if (i == 1)
                {
                    Thread.Sleep(100);
                }
                else
                {
                    secondShareStarted.Set();
                    Thread.Sleep(10);
                }
            });
            Assert.Equal([true, true, false, false], onCaller);
        }
    }

    [Fact]
    public async Task LoopsFarApartWakeTheSleepingWorkers()
    {
        // Pauses longer than the workers' spin put them to sleep between loops; each loop must still wake them
        // (the two items wait for each other, so a worker left asleep shows as items that never met, or as a loop
        // that never ends: every worker joins every loop, so the caller would wait for the sleeper forever).
        using var workers = new CpuWorkers(2);
        var loops = Task.Run(() =>
        {
            for (var loop = 0; loop < 20; loop++)
            {
                Thread.Sleep(loop % 2 == 0 ? 5 : 0);
                using var both = new CountdownEvent(2);
                var met = 0;
                workers.For(2, _ =>
                {
                    both.Signal();
                    if (both.Wait(TimeSpan.FromSeconds(10)))
                    {
                        Interlocked.Increment(ref met);
                    }
                });
                Assert.Equal(2, met);
            }
        });
        var finished = await Task.WhenAny(loops, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(finished == loops, "a loop never ended: a worker slept through it");
        await loops;
    }

    [SkippableFact]
    public void IdleWorkersSleepInsteadOfSpinning()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "reads the worker's CPU time from /proc");
        using var workers = new CpuWorkers(2);
        var caller = Environment.CurrentManagedThreadId;
        var workerId = 0;
        using var both = new CountdownEvent(2);
        workers.For(2, _ =>
        {
            both.Signal();
            Assert.True(both.Wait(TimeSpan.FromSeconds(10)), "the two items never ran together");
            if (Environment.CurrentManagedThreadId != caller)
            {
                workerId = ThreadNice.NativeThreadId();
            }
        });

        Thread.Sleep(50); // past the spin: the worker should be blocked now
        var before = CpuTicks(workerId);
        Thread.Sleep(400);
        var used = CpuTicks(workerId) - before;
        Assert.True(used <= 5, $"the idle worker used {used} clock ticks of CPU in 400 ms (a spinning one uses ~40)");
    }

    /// <summary>utime + stime of one thread of this process, in clock ticks (/proc/self/task/TID/stat fields 14, 15).</summary>
    private static long CpuTicks(int tid)
    {
        var stat = File.ReadAllText($"/proc/self/task/{tid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
    }
}
