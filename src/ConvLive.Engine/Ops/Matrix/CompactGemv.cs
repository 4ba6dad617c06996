// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// A fully connected layer at batch 1 whose fp32 weights are being trained, y = α·W·x + β·y, read row by row from the
/// tensor's own array (so it stays valid as the weights change in place). Four rows share each load of x. Constant
/// weights, in any precision, go through <see cref="ColumnGemv"/>, which keeps a transposed copy and skips the
/// input's zeros.
/// </summary>
internal sealed unsafe class CompactGemv : IWorkItem
{
    private const int RowsPerStep = 4;

    private Weights? _w;
    private float[] _x = [];
    private float[] _y = [];
    private float _alpha, _beta;
    private int _bands;

    /// <summary>A weight matrix kept on the tensor it came from: its own array, its shape.</summary>
    internal sealed class Weights
    {
        public required int Rows { get; init; }

        public required int Cols { get; init; }

        public required float[] Float32 { get; init; }
    }

    /// <summary>W (rows × cols) as it is.</summary>
    public static Weights Of(float[] w, int rows, int cols) => new() { Rows = rows, Cols = cols, Float32 = w };

    /// <summary>y = α·W·x + β·y over the worker team, rows in bands of whole four-row steps.</summary>
    public void Run(float[] y, float[] x, Weights w, float alpha, float beta, CpuWorkers workers)
    {
        (_w, _x, _y, _alpha, _beta) = (w, x, y, alpha, beta);
        var steps = (w.Rows + RowsPerStep - 1) / RowsPerStep;
        _bands = Math.Max(1, Math.Min(steps, workers.Size * 4));
        workers.For(_bands, this);
        (_w, _x, _y) = (null, [], []);
    }

    /// <summary>One band of rows.</summary>
    public void Run(int band)
    {
        var w = _w!;
        var steps = (w.Rows + RowsPerStep - 1) / RowsPerStep;
        var r0 = (int)((long)steps * band / _bands) * RowsPerStep;
        var r1 = Math.Min(w.Rows, (int)((long)steps * (band + 1) / _bands) * RowsPerStep);
        Span<float> dots = stackalloc float[RowsPerStep];
        fixed (float* x = _x)
        {
            for (var r = r0; r < r1; r += RowsPerStep)
            {
                var count = Math.Min(RowsPerStep, r1 - r);
                Dots(w, r, count, x, dots);
                for (var i = 0; i < count; i++)
                {
                    ref var yi = ref _y[r + i];
                    yi = _beta == 0f ? _alpha * dots[i] : (_alpha * dots[i]) + (_beta * yi);
                }
            }
        }
    }

    /// <summary>The dot products of rows r … r+count−1 with x (count ≤ 4; missing rows repeat the last).</summary>
    private static void Dots(Weights w, int r, int count, float* x, Span<float> dots)
    {
        int r1 = r + Math.Min(1, count - 1), r2 = r + Math.Min(2, count - 1), r3 = r + Math.Min(3, count - 1);
        fixed (float* p = w.Float32)
        {
            Dots<Float32Format>((byte*)p, r, r1, r2, r3, x, w.Cols, dots);
        }
    }

    /// <summary>Four rows of a matrix stored as <typeparamref name="T"/> dotted with x; one kernel for every format
    /// (the JIT compiles it once per format, the loads inlined).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots<T>(byte* w, int r0, int r1, int r2, int r3, float* x, int cols, Span<float> dots)
        where T : struct, IWeightFormat
    {
        long stride = (long)cols * T.Size;
        byte* w0 = w + (r0 * stride), w1 = w + (r1 * stride), w2 = w + (r2 * stride), w3 = w + (r3 * stride);
        var k = 0;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            for (; k + 8 <= cols; k += 8)
            {
                var xv = Vector256.Load(x + k);
                var o = k * T.Size;
                s0 = Vector256.FusedMultiplyAdd(T.Load8(w0 + o), xv, s0);
                s1 = Vector256.FusedMultiplyAdd(T.Load8(w1 + o), xv, s1);
                s2 = Vector256.FusedMultiplyAdd(T.Load8(w2 + o), xv, s2);
                s3 = Vector256.FusedMultiplyAdd(T.Load8(w3 + o), xv, s3);
            }
        }

        Finish(s0, s1, s2, s3, dots);
        for (; k < cols; k++)
        {
            var o = k * T.Size;
            dots[0] += T.Load1(w0 + o) * x[k];
            dots[1] += T.Load1(w1 + o) * x[k];
            dots[2] += T.Load1(w2 + o) * x[k];
            dots[3] += T.Load1(w3 + o) * x[k];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3, Span<float> dots)
    {
        dots[0] = Vector256.Sum(s0);
        dots[1] = Vector256.Sum(s1);
        dots[2] = Vector256.Sum(s2);
        dots[3] = Vector256.Sum(s3);
    }
}
