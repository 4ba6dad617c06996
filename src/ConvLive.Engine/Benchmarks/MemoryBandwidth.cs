// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Numerics;

namespace ConvLive.Engine.Benchmarks;

/// <summary>
/// Measures how fast this machine streams memory the caches cannot hold: each thread sums its share of a 256 MB
/// array with the widest vectors here. A batch-1 fully connected layer reads every weight once a forward, so this
/// is the bound its time is quoted against (fc6 of AlexNet: 151 MB of fp32 weights).
/// </summary>
public static class MemoryBandwidth
{
    private const int Floats = 64 * 1024 * 1024;

    /// <summary>Read bandwidth of <paramref name="threads"/> threads, GB/s (10⁹ bytes); the best of three passes.</summary>
    /// <param name="threads">Threads reading at once.</param>
    /// <returns>GB/s.</returns>
    public static double Measure(int threads)
    {
        var data = new float[Floats];
        Array.Fill(data, 1e-9f); // touched once, so the pages exist before the timed passes
        var best = 0.0;
        var sink = new float[threads];
        for (var pass = 0; pass < 3; pass++)
        {
            var start = Stopwatch.GetTimestamp();
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                var share = Floats / threads;
                sink[t] = Sum(data.AsSpan(t * share, share));
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            best = Math.Max(best, Floats * 4.0 / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9);
        }

        GC.KeepAlive(sink);
        return best;
    }

    private static float Sum(ReadOnlySpan<float> values)
    {
        var width = Vector<float>.Count;
        Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
        var i = 0;
        for (; i + (4 * width) <= values.Length; i += 4 * width)
        {
            s0 += new Vector<float>(values[i..]);
            s1 += new Vector<float>(values[(i + width)..]);
            s2 += new Vector<float>(values[(i + (2 * width))..]);
            s3 += new Vector<float>(values[(i + (3 * width))..]);
        }

        var sum = Vector.Sum(s0 + s1 + s2 + s3);
        for (; i < values.Length; i++)
        {
            sum += values[i];
        }

        return sum;
    }
}
