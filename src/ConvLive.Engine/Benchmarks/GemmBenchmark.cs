// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.Engine.Backends.Cpu;

namespace ConvLive.Engine.Benchmarks;

/// <summary>One GEMM shape's timing.</summary>
/// <param name="Implementation">Which kernel ran.</param>
/// <param name="M">Rows of A and C.</param>
/// <param name="N">Columns of B and C.</param>
/// <param name="K">Inner size.</param>
/// <param name="MedianMs">Median of the timed runs.</param>
/// <param name="MinMs">Fastest run.</param>
/// <param name="MaxMs">Slowest run.</param>
/// <param name="Gflops">2·M·N·K / median.</param>
public sealed record GemmTiming(string Implementation, int M, int N, int K, double MedianMs, double MinMs, double MaxMs, double Gflops);

/// <summary>Times the CPU backend's GEMM (<c>Sgemm</c>) on given shapes: warm-up, then N timed runs; medians.</summary>
public static class GemmBenchmark
{
    /// <summary>AlexNet's conv1, conv2 (one group) and conv3 as GEMMs at 227 input, and fc6 at batch 1.</summary>
    public static IReadOnlyList<(int M, int N, int K)> AlexNetShapes { get; } =
        [(96, 3025, 363), (256, 729, 1200), (384, 169, 2304), (4096, 1, 9216)];

    /// <summary>Times one shape.</summary>
    /// <param name="m">Rows.</param>
    /// <param name="n">Columns.</param>
    /// <param name="k">Inner size.</param>
    /// <param name="runs">Timed runs after warm-up.</param>
    /// <param name="workers">The CPU team.</param>
    /// <param name="mode">"tuned" (what the backend uses), "blas" or "managed".</param>
    /// <returns>The timing.</returns>
    public static unsafe GemmTiming Run(int m, int n, int k, int runs, CpuWorkers workers, string mode)
    {
        ArgumentNullException.ThrowIfNull(workers);
        var random = new Random(1);
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = (float)random.NextDouble() - 0.5f;
        }

        for (var i = 0; i < b.Length; i++)
        {
            b[i] = (float)random.NextDouble() - 0.5f;
        }

        var times = new double[runs];
        var use = mode switch { "managed" => Backends.BlasUse.Off, "blas" => Backends.BlasUse.Only, _ => Backends.BlasUse.Auto };
        fixed (float* ap = a, bp = b, cp = c)
        {
            for (var i = -3; i < runs; i++)
            {
                var start = Stopwatch.GetTimestamp();
                Sgemm.Multiply(m, n, k, 1f, ap, k, bp, n, 0f, cp, n, workers, use);
                if (i >= 0)
                {
                    times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            }
        }

        Array.Sort(times);
        var median = times[runs / 2];
        var name = mode switch { "managed" => "managed packed SIMD (6x16 FMA)", "blas" => "OpenBLAS cblas_sgemm", _ => $"convlive/cpu (chose {Sgemm.ChosenFor(m, n, k)})" };
        return new GemmTiming(name, m, n, k, median, times[0], times[^1], 2.0 * m * n * k / (median * 1e6));
    }
}
