// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.App.Loop;

/// <summary>Keeps the last <c>capacity</c> samples (e.g. milliseconds) in a ring; percentiles on demand.</summary>
/// <remarks>Adding and reading allocate nothing. One thread adds; a reader on another thread may see a sample
/// being replaced, which only matters to the figure shown that moment.</remarks>
internal sealed class SampleRecorder(int capacity = 8192)
{
    private readonly double[] _ring = new double[capacity];
    private readonly double[] _sorted = new double[capacity];
    private long _count;

    /// <summary>Samples added in all, including those the ring has forgotten.</summary>
    public long Count => _count;

    public void Add(double value)
    {
        _ring[_count % _ring.Length] = value;
        _count++;
    }

    /// <summary>The p-th percentile (0–100) of the kept samples, by linear interpolation; NaN when empty.</summary>
    public double Percentile(double p)
    {
        var n = (int)Math.Min(_count, _ring.Length);
        if (n == 0)
        {
            return double.NaN;
        }

        // Sorting into a kept scratch array: reading a percentile allocates nothing.
        var sorted = _sorted.AsSpan(0, n);
        _ring.AsSpan(0, n).CopyTo(sorted);
        sorted.Sort();
        var rank = Math.Clamp(p, 0, 100) / 100 * (n - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, n - 1);
        return sorted[lo] + ((sorted[hi] - sorted[lo]) * (rank - lo));
    }
}
