// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// A batch-1 fully connected layer with constant weights, y = α·W·x + β·y, read by columns: Wᵀ is kept (cols × rows,
/// a copy made once per model, in fp32, or in bf16 or int8 as <see cref="BackendOptions.FullyConnectedWeights"/> asks:
/// fewer bytes to stream) and y = Σ x_j·Wᵀ[j] over the inputs x_j that are not 0. Such a layer's
/// time is the bytes of W it streams from memory (AlexNet's fc6 is 151 MB), and its input is a Relu's output: on
/// <c>bench</c>'s input a third of fc6's and half of fc7's and fc8's inputs are exactly 0, and their columns of W are
/// never read. Every product it skips is 0·w with w finite (a matrix holding an infinity or NaN is read whole, so
/// 0·∞ still gives NaN, in bf16 also where a finite weight past its range rounded to ∞; int8 turns ±∞ into ±127
/// and NaN into 0, a row holding either falling back to scale 1, as the row-by-row int8 form did, so its weights are
/// always finite). bf16 keeps 8 mantissa bits of each weight (rounded to
/// nearest even); int8 scales each output's weights by their max |w| / 127 and multiplies the sum by it.
/// </summary>
/// <remarks>Each work item is one band of output columns, its sums in a buffer of the thread's own that stays in L1,
/// accumulating four of the input's non-zero columns at a time (four rows of Wᵀ streamed together). Nothing is
/// allocated per call once the scratch has grown. The copy is made at the layer's first call (a model's first
/// forward: AlexNet's 234 MB in fp32 in a few hundred milliseconds, `classify` started 1.99–2.30 s against 1.84–2.34)
/// and keeps the weights once more in memory (all of them in fp32, half in bf16, a quarter in int8), beside the
/// tensor's own array that other readers (training, explanations) use.</remarks>
internal sealed unsafe class ColumnGemv : IWorkItem
{
    private Weights? _w;
    private float[] _x = [];
    private float[] _y = [];
    private float _alpha, _beta;
    private int[] _nonzero = [];
    private int _count, _bandWidth, _bands;

    [ThreadStatic]
    private static AlignedFloats? t_sums;

    /// <summary>Wᵀ of a constant (rows × cols) matrix in one precision, and whether every weight is finite.</summary>
    internal sealed class Weights
    {
        /// <summary>How Wᵀ is stored.</summary>
        public required WeightPrecision Precision { get; init; }

        /// <summary>Outputs: W's rows, Wᵀ's columns.</summary>
        public required int Rows { get; init; }

        /// <summary>Inputs: W's columns, Wᵀ's rows.</summary>
        public required int Cols { get; init; }

        /// <summary>Wᵀ, cols × rows, 64-byte aligned, in <see cref="Precision"/>'s format (its bytes: fp32, bf16 or int8).</summary>
        public required AlignedFloats Transposed { get; init; }

        /// <summary>int8: each output's scale (W's row's max |w| / 127); else null.</summary>
        public float[]? Scales { get; init; }

        /// <summary>False when a weight is ±∞ or NaN: then no column is skipped (0·∞ is NaN).</summary>
        public required bool AllFinite { get; init; }
    }

    /// <summary>Wᵀ of w (rows × cols) in <paramref name="precision"/>, transposed in 64×64 blocks across the worker
    /// team.</summary>
    public static Weights Transpose(float[] w, int rows, int cols, WeightPrecision precision, CpuWorkers workers)
    {
        var size = precision switch { WeightPrecision.BFloat16 => 2, WeightPrecision.Int8 => 1, _ => 4 };
        var transposed = new AlignedFloats((((long)rows * cols * size) + 3) / 4); // the bytes, in whole floats
        var scales = precision == WeightPrecision.Int8 ? new float[rows] : null;
        var job = new TransposeJob(w, transposed, scales, rows, cols, precision);
        workers.For((rows + TransposeJob.Block - 1) / TransposeJob.Block, job);
        return new Weights { Precision = precision, Rows = rows, Cols = cols, Transposed = transposed, Scales = scales, AllFinite = job.AllFinite || precision == WeightPrecision.Int8 };
    }

    /// <summary>The columns of W the last call read: the non-zero inputs, or all of them (for tests and logs).</summary>
    public int ColumnsRead { get; private set; }

    /// <summary>y (rows) = α·W·x + β·y for x (cols), skipping the columns where x is 0 (β = 0: y is only written).</summary>
    public void Run(float[] y, float[] x, Weights w, float alpha, float beta, CpuWorkers workers)
    {
        ScratchArrays.Grow(ref _nonzero, w.Cols);
        var count = 0;
        for (var j = 0; j < w.Cols; j++)
        {
            if (x[j] != 0f || !w.AllFinite)
            {
                _nonzero[count++] = j; // NaN ≠ 0: kept
            }
        }

        // A band a thread: the longest runs of each row of Wᵀ (8 KB of AlexNet's 16 KB fp32 rows on two threads). Against
        // two bands a thread (2-core EPYC, AVX2, alternating runs): fc6 3.6–4.8 ms against 4.9–6.2. Splitting the
        // non-zero inputs between the threads instead (whole rows, partial sums added after) came out the same, and
        // prefetching the next four rows while multiplying these gained nothing beyond the noise.
        var bands = Math.Max(1, workers.Size);
        _bandWidth = Math.Max(8, ((w.Rows + bands - 1) / bands + 7) / 8 * 8);
        _bands = (w.Rows + _bandWidth - 1) / _bandWidth;
        (_w, _x, _y, _alpha, _beta, _count) = (w, x, y, alpha, beta, count);
        ColumnsRead = count;
        workers.For(_bands, this);
        (_w, _x, _y) = (null, [], []);
    }

    /// <summary>Output columns [band·width, …) of y.</summary>
    public void Run(int band)
    {
        switch (_w!.Precision)
        {
            case WeightPrecision.BFloat16:
                Band<BFloat16Format>(band);
                break;
            case WeightPrecision.Int8:
                Band<Int8Format>(band);
                break;
            default:
                Band<Float32Format>(band);
                break;
        }
    }

    private void Band<T>(int band)
        where T : struct, IWeightFormat
    {
        var w = _w!;
        int c0 = band * _bandWidth, width = Math.Min(_bandWidth, w.Rows - c0), n = w.Rows, count = _count;
        var scratch = t_sums ?? AlignedFloats.Empty;
        AlignedFloats.Grow(ref scratch, _bandWidth);
        t_sums = scratch;
        var sums = scratch.Pointer;
        new Span<float>(sums, width).Clear();
        var wt = (byte*)w.Transposed.Pointer + ((long)c0 * T.Size);
        long row = (long)n * T.Size;
        fixed (float* x = _x, y = _y)
        fixed (int* nonzero = _nonzero)
        {
            var i = 0;
            for (; i + 4 <= count; i += 4)
            {
                int j0 = nonzero[i], j1 = nonzero[i + 1], j2 = nonzero[i + 2], j3 = nonzero[i + 3];
                Accumulate4<T>(sums, width, wt + (j0 * row), wt + (j1 * row), wt + (j2 * row), wt + (j3 * row), x[j0], x[j1], x[j2], x[j3]);
            }

            for (; i < count; i++)
            {
                var j = nonzero[i];
                Accumulate1<T>(sums, width, wt + (j * row), x[j]);
            }

            var (alpha, beta, scales) = (_alpha, _beta, w.Scales);
            for (var c = 0; c < width; c++)
            {
                var sum = scales is null ? sums[c] : sums[c] * scales[c0 + c];
                ref var yc = ref y[c0 + c];
                yc = beta == 0f ? alpha * sum : (alpha * sum) + (beta * yc);
            }
        }
    }

    /// <summary>sums[c] += a·r0[c] + b·r1[c] + d·r2[c] + e·r3[c], in that order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate4<T>(float* sums, int width, byte* r0, byte* r1, byte* r2, byte* r3, float a, float b, float d, float e)
        where T : struct, IWeightFormat
    {
        var c = 0;
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            Vector256<float> va = Vector256.Create(a), vb = Vector256.Create(b), vd = Vector256.Create(d), ve = Vector256.Create(e);
            for (; c + 8 <= width; c += 8)
            {
                var o = c * T.Size;
                var s = Vector256.Load(sums + c);
                s = Vector256.FusedMultiplyAdd(va, T.Load8(r0 + o), s);
                s = Vector256.FusedMultiplyAdd(vb, T.Load8(r1 + o), s);
                s = Vector256.FusedMultiplyAdd(vd, T.Load8(r2 + o), s);
                s = Vector256.FusedMultiplyAdd(ve, T.Load8(r3 + o), s);
                s.Store(sums + c);
            }
        }

        for (; c < width; c++)
        {
            var o = c * T.Size;
            var s = MathF.FusedMultiplyAdd(a, T.Load1(r0 + o), sums[c]);
            s = MathF.FusedMultiplyAdd(b, T.Load1(r1 + o), s);
            s = MathF.FusedMultiplyAdd(d, T.Load1(r2 + o), s);
            sums[c] = MathF.FusedMultiplyAdd(e, T.Load1(r3 + o), s);
        }
    }

    /// <summary>sums[c] += a·r[c].</summary>
    private static void Accumulate1<T>(float* sums, int width, byte* r, float a)
        where T : struct, IWeightFormat
    {
        var c = 0;
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            var va = Vector256.Create(a);
            for (; c + 8 <= width; c += 8)
            {
                Vector256.FusedMultiplyAdd(va, T.Load8(r + (c * T.Size)), Vector256.Load(sums + c)).Store(sums + c);
            }
        }

        for (; c < width; c++)
        {
            sums[c] = MathF.FusedMultiplyAdd(a, T.Load1(r + (c * T.Size)), sums[c]);
        }
    }

    /// <summary>One block of 64 rows of W into Wᵀ, 64 columns at a time, in the precision asked for (an int8 row's
    /// scale found first); notes a weight that is not finite.</summary>
    private sealed class TransposeJob(float[] w, AlignedFloats transposed, float[]? scales, int rows, int cols, WeightPrecision precision) : IWorkItem
    {
        public const int Block = 64;

        private int _notFinite;

        public bool AllFinite => _notFinite == 0;

        public void Run(int item)
        {
            int r0 = item * Block, r1 = Math.Min(rows, r0 + Block);
            var finite = true;
            for (var r = r0; r < r1; r++)
            {
                // One pass a row: its largest magnitude is ±∞ or NaN exactly when a weight is, and sets int8's scale.
                var max = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(w.AsSpan((int)((long)r * cols), cols));
                finite &= float.IsFinite(max);
                if (scales is not null)
                {
                    scales[r] = Int8Format.Scale(max);
                }
            }

            var f32 = transposed.Pointer;
            var b16 = (ushort*)transposed.Pointer;
            var i8 = (sbyte*)transposed.Pointer;
            for (var k0 = 0; k0 < cols; k0 += Block)
            {
                var k1 = Math.Min(cols, k0 + Block);
                for (var r = r0; r < r1; r++)
                {
                    var scale = scales?[r] ?? 1f;
                    for (var k = k0; k < k1; k++)
                    {
                        var at = ((long)k * rows) + r;
                        var v = w[((long)r * cols) + k];
                        switch (precision)
                        {
                            case WeightPrecision.BFloat16:
                                var half = BFloat16Format.From(v);
                                finite &= (half & 0x7F80) != 0x7F80; // a finite weight past bf16's range rounds to ∞
                                b16[at] = half;
                                break;
                            case WeightPrecision.Int8:
                                i8[at] = Int8Format.Quantize(v, scale);
                                break;
                            default:
                                f32[at] = v;
                                break;
                        }
                    }
                }
            }

            if (!finite)
            {
                Interlocked.Exchange(ref _notFinite, 1);
            }
        }
    }
}
