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

    /// <summary>A weight matrix in one precision, kept on the tensor it came from (fp32 refers to the tensor's own
    /// array, so it stays valid as the weights are trained in place).</summary>
    internal sealed class Weights
    {
        public required WeightPrecision Precision { get; init; }

        public required int Rows { get; init; }

        public required int Cols { get; init; }

        public float[]? Float32 { get; init; }

        public ushort[]? BFloat16 { get; init; }

        public sbyte[]? Int8 { get; init; }

        public float[]? Scales { get; init; }
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
                    Dots<BFloat16Row>((byte*)p, r, r1, r2, r3, x, cols, dots);
                }

                break;
            case WeightPrecision.Int8:
                fixed (sbyte* p = w.Int8)
                {
                    Dots<Int8Row>((byte*)p, r, r1, r2, r3, x, cols, dots);
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
                    Dots<Float32Row>((byte*)p, r, r1, r2, r3, x, cols, dots);
                }

                break;
        }
    }

    /// <summary>Four rows of a matrix stored as <typeparamref name="T"/> dotted with x; one kernel for every format
    /// (the JIT compiles it once per format, the loads inlined).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots<T>(byte* w, int r0, int r1, int r2, int r3, float* x, int cols, Span<float> dots)
        where T : struct, IRowFormat
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

    /// <summary>How one weight format is read: bytes an element, eight elements widened to fp32 (AVX2), or one.</summary>
    private interface IRowFormat
    {
        static abstract int Size { get; }

        static abstract Vector256<float> Load8(byte* p);

        static abstract float Load1(byte* p);
    }

    private readonly struct Float32Row : IRowFormat
    {
        public static int Size => 4;

        public static Vector256<float> Load8(byte* p) => Vector256.Load((float*)p);

        public static float Load1(byte* p) => *(float*)p;
    }

    private readonly struct BFloat16Row : IRowFormat
    {
        public static int Size => 2;

        public static Vector256<float> Load8(byte* p) => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32((ushort*)p), 16).AsSingle();

        public static float Load1(byte* p) => BitConverter.UInt32BitsToSingle((uint)*(ushort*)p << 16);
    }

    private readonly struct Int8Row : IRowFormat
    {
        public static int Size => 1;

        public static Vector256<float> Load8(byte* p) => Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32((sbyte*)p));

        public static float Load1(byte* p) => *(sbyte*)p;
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
