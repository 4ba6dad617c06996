// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvLive.Engine.Benchmarks;

/// <summary>
/// Measures this machine's fp32 multiply-add peak: each thread runs chains of independent vector FMAs (enough
/// chains to hide FMA latency) with the widest vectors .NET accelerates here. The figure GEMM shares are quoted against.
/// </summary>
public static class FmaPeak
{
    private const int Iterations = 20_000_000;

    /// <summary>Measures the peak of <paramref name="threads"/> threads, in GFLOP/s (an FMA counts as 2 FLOP).</summary>
    /// <param name="threads">Threads to run at once.</param>
    /// <returns>The best of three runs.</returns>
    public static double Measure(int threads) => Measure(threads, WidestBits);

    /// <summary>The widest vector .NET accelerates here, in bits (512, 256 or 128).</summary>
    public static int WidestBits => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;

    /// <summary>
    /// Measures the peak with <paramref name="bits"/>-wide vectors (512 or 256; at most <see cref="WidestBits"/>).
    /// Where 512-bit FMAs run on full-width units the 512-bit peak is twice the 256-bit one; where they are split in
    /// two 256-bit halves (or one 512-bit unit) it is the same: which kernels pay depends on it.
    /// </summary>
    public static double Measure(int threads, int bits)
    {
        var wide = bits >= 512 && Vector512.IsHardwareAccelerated;
        var lanes = wide ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4;
        var best = 0.0;
        for (var run = 0; run < 3; run++)
        {
            var sink = new float[threads];
            var start = Stopwatch.GetTimestamp();
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() => sink[t] = wide ? Chains512(Iterations) : Chains256(Iterations))).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var flops = 2.0 * Iterations * 12 * lanes * threads;
            best = Math.Max(best, flops / seconds / 1e9);
            GC.KeepAlive(sink);
        }

        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Chains256(int iterations)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (var i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a);
            c1 = Vector256.FusedMultiplyAdd(c1, m, a);
            c2 = Vector256.FusedMultiplyAdd(c2, m, a);
            c3 = Vector256.FusedMultiplyAdd(c3, m, a);
            c4 = Vector256.FusedMultiplyAdd(c4, m, a);
            c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a);
            c7 = Vector256.FusedMultiplyAdd(c7, m, a);
            c8 = Vector256.FusedMultiplyAdd(c8, m, a);
            c9 = Vector256.FusedMultiplyAdd(c9, m, a);
            c10 = Vector256.FusedMultiplyAdd(c10, m, a);
            c11 = Vector256.FusedMultiplyAdd(c11, m, a);
        }

        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Chains512(int iterations)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (var i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a);
            c1 = Vector512.FusedMultiplyAdd(c1, m, a);
            c2 = Vector512.FusedMultiplyAdd(c2, m, a);
            c3 = Vector512.FusedMultiplyAdd(c3, m, a);
            c4 = Vector512.FusedMultiplyAdd(c4, m, a);
            c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a);
            c7 = Vector512.FusedMultiplyAdd(c7, m, a);
            c8 = Vector512.FusedMultiplyAdd(c8, m, a);
            c9 = Vector512.FusedMultiplyAdd(c9, m, a);
            c10 = Vector512.FusedMultiplyAdd(c10, m, a);
            c11 = Vector512.FusedMultiplyAdd(c11, m, a);
        }

        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
