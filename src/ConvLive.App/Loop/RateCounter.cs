// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;

namespace ConvLive.App.Loop;

/// <summary>Counts events and remembers when the first and the last happened, for a rate over the run.</summary>
/// <remarks>One thread ticks; any thread reads (the count atomically, the times as last written).</remarks>
internal sealed class RateCounter
{
    private long _count;
    private long _first;
    private long _last;

    /// <summary>Events so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Stopwatch timestamp of the first event (0 before it).</summary>
    public long FirstTicks => Volatile.Read(ref _first);

    /// <summary>Stopwatch timestamp of the latest event.</summary>
    public long LastTicks => Volatile.Read(ref _last);

    /// <summary>Events a second between the first and the latest, or NaN before two.</summary>
    public double PerSecond => Rate(Count, FirstTicks, LastTicks);

    /// <summary>Counts an event at <paramref name="now"/>.</summary>
    /// <returns>The count including this one.</returns>
    public long Tick(long now)
    {
        var count = Interlocked.Increment(ref _count);
        if (count == 1)
        {
            Volatile.Write(ref _first, now);
        }

        Volatile.Write(ref _last, now);
        return count;
    }

    /// <summary>(count − 1) events over the time from the first to the last, or NaN when that is not defined.</summary>
    public static double Rate(long count, long first, long last) =>
        count > 1 && last > first ? (count - 1) / Stopwatch.GetElapsedTime(first, last).TotalSeconds : double.NaN;
}
