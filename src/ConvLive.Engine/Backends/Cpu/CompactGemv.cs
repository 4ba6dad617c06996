// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// A fully connected layer at batch 1, y = α·W·x + β·y, with W (rows, cols) kept in fp32, bf16 or int8. At batch 1
/// such a layer streams its whole weight matrix once per frame (AlexNet's fc6 is 151 MB in fp32), so its time is
/// the bytes read divided by memory bandwidth: bf16 halves it, int8 quarters it. Activations and sums stay fp32;
/// int8 rows carry one scale each (symmetric, max |w| / 127). Four rows share each load of x.
/// </summary>
internal sealed unsafe class CompactGemv : IWorkItem
{
    private const int RowsPerStep = 4;

    private Weights? _w;
    private float[] _x = [];
    private float[] _y = [];
    private float _alpha, _beta;
    private int _bands;

    /// <summary>A weight matrix in one precision; kept on the constant tensor it came from.</summary>
    internal sealed class Weights
    {
        public required WeightPrecision Precision { get; init; }

        public required int Rows { get; init; }

        public required int Cols { get; init; }

        public float[]? Float32 { get; init; }

        public ushort[]? BFloat16 { get; init; }

        public sbyte[]? Int8 { get; init; }

        public float[]? Scales { get; init; }

        /// <summary>Bytes the weights take (what one product streams).</summary>
        public long Bytes => Precision switch
        {
            WeightPrecision.BFloat16 => 2L * Rows * Cols,
            WeightPrecision.Int8 => ((long)Rows * Cols) + (4L * Rows),
            _ => 4L * Rows * Cols,
        };
    }

    /// <summary>W in the given precision: bf16 rounds to nearest even; int8 scales each row by max |w| / 127.</summary>
    public static Weights Compress(float[] w, int rows, int cols, WeightPrecision precision)
    {
        switch (precision)
        {
            case WeightPrecision.BFloat16:
                var half = new ushort[(long)rows * cols];
                for (long i = 0; i < half.Length; i++)
                {
                    half[i] = ToBFloat16(w[i]);
                }

                return new Weights { Precision = precision, Rows = rows, Cols = cols, BFloat16 = half };
            case WeightPrecision.Int8:
                var q = new sbyte[(long)rows * cols];
                var scales = new float[rows];
                for (var r = 0; r < rows; r++)
                {
                    var row = w.AsSpan(r * cols, cols);
                    var max = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(row)); // the value, maybe negative
                    var scale = max > 0f && float.IsFinite(max) ? max / 127f : 1f;
                    scales[r] = scale;
                    for (var k = 0; k < cols; k++)
                    {
                        q[((long)r * cols) + k] = (sbyte)Math.Clamp(MathF.Round(row[k] / scale), -127f, 127f);
                    }
                }

                return new Weights { Precision = precision, Rows = rows, Cols = cols, Int8 = q, Scales = scales };
            default:
                return new Weights { Precision = WeightPrecision.Float32, Rows = rows, Cols = cols, Float32 = w };
        }
    }

    /// <summary>fp32 to bf16, rounding to nearest even; NaN stays NaN.</summary>
    public static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

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
        int cols = w.Cols, r1 = r + Math.Min(1, count - 1), r2 = r + Math.Min(2, count - 1), r3 = r + Math.Min(3, count - 1);
        switch (w.Precision)
        {
            case WeightPrecision.BFloat16:
                fixed (ushort* p = w.BFloat16)
                {
                    BFloat16Dots(p + ((long)r * cols), p + ((long)r1 * cols), p + ((long)r2 * cols), p + ((long)r3 * cols), x, cols, dots);
                }

                break;
            case WeightPrecision.Int8:
                fixed (sbyte* p = w.Int8)
                {
                    Int8Dots(p + ((long)r * cols), p + ((long)r1 * cols), p + ((long)r2 * cols), p + ((long)r3 * cols), x, cols, dots);
                }

                var scales = w.Scales!;
                dots[0] *= scales[r];
                dots[1] *= scales[r1];
                dots[2] *= scales[r2];
                dots[3] *= scales[r3];
                break;
            default:
                fixed (float* p = w.Float32)
                {
                    Float32Dots(p + ((long)r * cols), p + ((long)r1 * cols), p + ((long)r2 * cols), p + ((long)r3 * cols), x, cols, dots);
                }

                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Float32Dots(float* w0, float* w1, float* w2, float* w3, float* x, int cols, Span<float> dots)
    {
        var k = 0;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; k + 8 <= cols; k += 8)
            {
                var xv = Vector256.Load(x + k);
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + k), xv, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + k), xv, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + k), xv, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + k), xv, s3);
            }
        }

        Finish(s0, s1, s2, s3, dots);
        for (; k < cols; k++)
        {
            dots[0] += w0[k] * x[k];
            dots[1] += w1[k] * x[k];
            dots[2] += w2[k] * x[k];
            dots[3] += w3[k] * x[k];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BFloat16Dots(ushort* w0, ushort* w1, ushort* w2, ushort* w3, float* x, int cols, Span<float> dots)
    {
        var k = 0;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            for (; k + 8 <= cols; k += 8)
            {
                var xv = Avx.LoadVector256(x + k);
                s0 = Fma.MultiplyAdd(Widen(w0 + k), xv, s0);
                s1 = Fma.MultiplyAdd(Widen(w1 + k), xv, s1);
                s2 = Fma.MultiplyAdd(Widen(w2 + k), xv, s2);
                s3 = Fma.MultiplyAdd(Widen(w3 + k), xv, s3);
            }
        }

        Finish(s0, s1, s2, s3, dots);
        for (; k < cols; k++)
        {
            dots[0] += FromBFloat16(w0[k]) * x[k];
            dots[1] += FromBFloat16(w1[k]) * x[k];
            dots[2] += FromBFloat16(w2[k]) * x[k];
            dots[3] += FromBFloat16(w3[k]) * x[k];
        }

        static Vector256<float> Widen(ushort* p) => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(p), 16).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Int8Dots(sbyte* w0, sbyte* w1, sbyte* w2, sbyte* w3, float* x, int cols, Span<float> dots)
    {
        var k = 0;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            for (; k + 8 <= cols; k += 8)
            {
                var xv = Avx.LoadVector256(x + k);
                s0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(w0 + k)), xv, s0);
                s1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(w1 + k)), xv, s1);
                s2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(w2 + k)), xv, s2);
                s3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(w3 + k)), xv, s3);
            }
        }

        Finish(s0, s1, s2, s3, dots);
        for (; k < cols; k++)
        {
            dots[0] += w0[k] * x[k];
            dots[1] += w1[k] * x[k];
            dots[2] += w2[k] * x[k];
            dots[3] += w3[k] * x[k];
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

    private static float FromBFloat16(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);
}
