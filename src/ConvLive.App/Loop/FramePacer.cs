// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;

namespace ConvLive.App.Loop;

/// <summary>
/// Paces a loop to a fixed rate against absolute deadlines, so the average rate is exact even though each sleep
/// is coarse; a loop that falls more than one period behind starts afresh instead of bursting to catch up.
/// </summary>
/// <remarks>Allocates nothing per call. One thread.</remarks>
internal sealed class FramePacer
{
    private readonly long _periodTicks;
    private long _deadline;

    /// <param name="framesPerSecond">The rate; 0 or less means do not pace.</param>
    public FramePacer(double framesPerSecond)
    {
        _periodTicks = framesPerSecond > 0 ? (long)(Stopwatch.Frequency / framesPerSecond) : 0;
        _deadline = Stopwatch.GetTimestamp();
    }

    /// <summary>Waits until the next deadline, or until <paramref name="stop"/> is set.</summary>
    public void Wait(CancellationToken stop)
    {
        if (_periodTicks == 0)
        {
            return;
        }

        _deadline += _periodTicks;
        var now = Stopwatch.GetTimestamp();
        if (now - _deadline > _periodTicks)
        {
            _deadline = now;
            return;
        }

        while (!stop.IsCancellationRequested)
        {
            var remaining = _deadline - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }

            // Sleep, never spin, where a short sleep is short: a yield loop over the last millisecond or two of every
            // frame took a few percent of a core that, on two cores, inference needs. On Linux a sleep may end up to a
            // millisecond late; the deadlines are absolute, so the next frame is that much shorter and the average
            // rate stays exact. Windows keeps the yield: its Sleep(1) lasts a 15.6 ms timer tick.
            var ms = remaining * 1000 / Stopwatch.Frequency;
            if (ms >= 2)
            {
                Thread.Sleep((int)ms - 1);
            }
            else if (OperatingSystem.IsWindows())
            {
                Thread.Yield();
            }
            else if (remaining * 2 >= Stopwatch.Frequency / 1000)
            {
                Thread.Sleep(1);
            }
            else
            {
                return; // under half a millisecond early
            }
        }
    }
}
