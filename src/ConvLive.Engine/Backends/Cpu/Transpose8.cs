// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>An 8×8 float transpose in AVX registers: between channel-major planes and the position-major rows the
/// register tiles read and write. Callers check <see cref="Avx.IsSupported"/>.</summary>
internal static unsafe class Transpose8
{
    /// <summary>The same transpose left in registers: column k (c<i>k</i>[l] = src[l·stride + k]) for a caller that
    /// goes on working on it before storing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Columns(float* src, int stride, out Vector256<float> c0, out Vector256<float> c1, out Vector256<float> c2, out Vector256<float> c3,
        out Vector256<float> c4, out Vector256<float> c5, out Vector256<float> c6, out Vector256<float> c7)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + stride);
        var r2 = Avx.LoadVector256(src + (2 * stride));
        var r3 = Avx.LoadVector256(src + (3 * stride));
        var r4 = Avx.LoadVector256(src + (4 * stride));
        var r5 = Avx.LoadVector256(src + (5 * stride));
        var r6 = Avx.LoadVector256(src + (6 * stride));
        var r7 = Avx.LoadVector256(src + (7 * stride));
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        c0 = Avx.Permute2x128(s0, s4, 0x20);
        c1 = Avx.Permute2x128(s1, s5, 0x20);
        c2 = Avx.Permute2x128(s2, s6, 0x20);
        c3 = Avx.Permute2x128(s3, s7, 0x20);
        c4 = Avx.Permute2x128(s0, s4, 0x31);
        c5 = Avx.Permute2x128(s1, s5, 0x31);
        c6 = Avx.Permute2x128(s2, s6, 0x31);
        c7 = Avx.Permute2x128(s3, s7, 0x31);
    }

    /// <summary>dst[k·8 + l] = src[l·stride + k] for k, l in 0..8: eight rows of <paramref name="src"/>,
    /// <paramref name="stride"/> floats apart, become eight contiguous columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block(float* src, int stride, float* dst)
    {
        Columns(src, stride, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
        Avx.Store(dst, c0);
        Avx.Store(dst + 8, c1);
        Avx.Store(dst + 16, c2);
        Avx.Store(dst + 24, c3);
        Avx.Store(dst + 32, c4);
        Avx.Store(dst + 40, c5);
        Avx.Store(dst + 48, c6);
        Avx.Store(dst + 56, c7);
    }
}
