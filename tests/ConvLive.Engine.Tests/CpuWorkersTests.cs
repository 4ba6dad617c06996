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
    public void EveryIndexRunsExactlyOnceLoopAfterLoop(int threads, int count)
    {
        using var workers = new CpuWorkers(threads);
        var hits = new int[count];
        Action<int> body = i => Interlocked.Increment(ref hits[i]);
        for (var loop = 1; loop <= 200; loop++)
        {
            workers.For(count, body);
            Assert.All(hits, h => Assert.Equal(loop, h));
        }
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
}
