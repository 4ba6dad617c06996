// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>How a batch-1 fully connected layer's weights are stored and read: bytes an element, eight elements
/// widened to fp32 (AVX2), or one. The kernels are generic over it, so the JIT compiles one per format with the loads
/// inlined.</summary>
internal unsafe interface IWeightFormat
{
    static abstract int Size { get; }

    static abstract Vector256<float> Load8(byte* p);

    static abstract float Load1(byte* p);
}

/// <summary>fp32 weights as they are.</summary>
internal readonly unsafe struct Float32Format : IWeightFormat
{
    public static int Size => 4;

    public static Vector256<float> Load8(byte* p) => Vector256.Load((float*)p);

    public static float Load1(byte* p) => *(float*)p;
}

/// <summary>bf16: fp32's upper 16 bits (8 mantissa bits), rounded to nearest even.</summary>
internal readonly unsafe struct BFloat16Format : IWeightFormat
{
    public static int Size => 2;

    public static Vector256<float> Load8(byte* p) => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32((ushort*)p), 16).AsSingle();

    public static float Load1(byte* p) => BitConverter.UInt32BitsToSingle((uint)*(ushort*)p << 16);

    /// <summary>fp32 to bf16, rounding to nearest even; NaN stays NaN.</summary>
    public static ushort From(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}

/// <summary>int8: each output's weights (a row of W) scaled by max |w| / 127, symmetric.</summary>
internal readonly unsafe struct Int8Format : IWeightFormat
{
    public static int Size => 1;

    public static Vector256<float> Load8(byte* p) => Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32((sbyte*)p));

    public static float Load1(byte* p) => *(sbyte*)p;

    /// <summary>The scale of a row whose largest magnitude is <paramref name="maxMagnitude"/>
    /// (<c>TensorPrimitives.MaxMagnitude</c>, the value itself, maybe negative): max |w| / 127, or 1 for a row of zeros
    /// or one holding a non-finite weight.</summary>
    public static float Scale(float maxMagnitude)
    {
        var max = MathF.Abs(maxMagnitude);
        return max > 0f && float.IsFinite(max) ? max / 127f : 1f;
    }

    /// <summary>w / scale rounded and clamped to ±127.</summary>
    public static sbyte Quantize(float w, float scale) => (sbyte)Math.Clamp(MathF.Round(w / scale), -127f, 127f);
}
