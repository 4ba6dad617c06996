// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// The F(4×4, 3×3) transforms with interpolation points 0, ±1, ±2, ∞ (Lavin and Gray, "Fast Algorithms for
/// Convolutional Neural Networks", 2015):
/// <code>
///      [ 4  0 -5  0  1  0 ]        [ 1/4    0     0   ]        [ 1  1  1  1  1  0 ]
///      [ 0 -4 -4  1  1  0 ]        [ -1/6 -1/6  -1/6  ]   Aᵀ = [ 0  1 -1  2 -2  0 ]
/// Bᵀ = [ 0  4 -4 -1  1  0 ]    G = [ -1/6  1/6  -1/6  ]        [ 0  1  1  4  4  0 ]
///      [ 0 -2 -1  2  1  0 ]        [ 1/24  1/12  1/6  ]        [ 0  1 -1  8 -8  1 ]
///      [ 0  2 -1 -2  1  0 ]        [ 1/24 -1/12  1/6  ]
///      [ 0  4  0 -5  0  1 ]        [ 0      0     1   ]
/// </code>
/// A 4×4 tile of the correlation of a 6×6 patch d with a 3×3 kernel g is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A. The vector
/// forms apply the 1-D transform to six vectors at once (8 channels a lane); each is written out as the few adds
/// its row needs, not as a matrix product.
/// </summary>
internal static class WinogradMatrices
{
    /// <summary>G as a 6×3 matrix, for the kernel transform (done once per model, in double).</summary>
    private static readonly double[,] G =
    {
        { 1.0 / 4, 0, 0 },
        { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
        { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
        { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
        { 0, 0, 1 },
    };

    /// <summary>u = G g Gᵀ (6×6, row-major) for one 3×3 kernel g (row-major).</summary>
    public static void TransformKernel(ReadOnlySpan<float> g, Span<double> u)
    {
        Span<double> gg = stackalloc double[18]; // (G g): 6×3
        for (var i = 0; i < 6; i++)
        {
            for (var k = 0; k < 3; k++)
            {
                gg[(i * 3) + k] = (G[i, 0] * g[k]) + (G[i, 1] * g[3 + k]) + (G[i, 2] * g[6 + k]);
            }
        }

        for (var i = 0; i < 6; i++)
        {
            for (var j = 0; j < 6; j++)
            {
                u[(i * 6) + j] = (gg[i * 3] * G[j, 0]) + (gg[(i * 3) + 1] * G[j, 1]) + (gg[(i * 3) + 2] * G[j, 2]);
            }
        }
    }

    /// <summary>Bᵀ z for one column z of a patch: writes t[6i + j] for i = 0..5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void InputColumn(Vector256<float> z0, Vector256<float> z1, Vector256<float> z2, Vector256<float> z3, Vector256<float> z4, Vector256<float> z5, Span<Vector256<float>> t, int j, int rowStride)
    {
        var four = Vector256.Create(4f);
        var five = Vector256.Create(5f);
        var two = Vector256.Create(2f);
        var z4mz2x4 = Vector256.FusedMultiplyAdd(-four, z2, z4); // z4 − 4 z2
        var z3mz1x4 = Vector256.FusedMultiplyAdd(-four, z1, z3); // z3 − 4 z1
        var z4mz2 = z4 - z2;
        var z3mz1x2 = two * (z3 - z1);                            // 2 (z3 − z1)
        t[j] = Vector256.FusedMultiplyAdd(four, z0, Vector256.FusedMultiplyAdd(-five, z2, z4));
        t[rowStride + j] = z4mz2x4 + z3mz1x4;
        t[(2 * rowStride) + j] = z4mz2x4 - z3mz1x4;
        t[(3 * rowStride) + j] = z4mz2 + z3mz1x2;
        t[(4 * rowStride) + j] = z4mz2 - z3mz1x2;
        t[(5 * rowStride) + j] = Vector256.FusedMultiplyAdd(four, z1, Vector256.FusedMultiplyAdd(-five, z3, z5));
    }

    /// <summary>Bᵀ z for one row z of (Bᵀ d): stores element j at dst + j·stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void InputRow(Vector256<float> z0, Vector256<float> z1, Vector256<float> z2, Vector256<float> z3, Vector256<float> z4, Vector256<float> z5, float* dst, long stride)
    {
        var four = Vector256.Create(4f);
        var five = Vector256.Create(5f);
        var two = Vector256.Create(2f);
        var z4mz2x4 = Vector256.FusedMultiplyAdd(-four, z2, z4);
        var z3mz1x4 = Vector256.FusedMultiplyAdd(-four, z1, z3);
        var z4mz2 = z4 - z2;
        var z3mz1x2 = two * (z3 - z1);
        Vector256.FusedMultiplyAdd(four, z0, Vector256.FusedMultiplyAdd(-five, z2, z4)).Store(dst);
        (z4mz2x4 + z3mz1x4).Store(dst + stride);
        (z4mz2x4 - z3mz1x4).Store(dst + (2 * stride));
        (z4mz2 + z3mz1x2).Store(dst + (3 * stride));
        (z4mz2 - z3mz1x2).Store(dst + (4 * stride));
        Vector256.FusedMultiplyAdd(four, z1, Vector256.FusedMultiplyAdd(-five, z3, z5)).Store(dst + (5 * stride));
    }

    /// <summary>Aᵀ z for one column z of the sums: writes s[6i + j] for i = 0..3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void OutputColumn(Vector256<float> z0, Vector256<float> z1, Vector256<float> z2, Vector256<float> z3, Vector256<float> z4, Vector256<float> z5, Span<Vector256<float>> s, int j)
    {
        var (a, b, c, d) = Output(z0, z1, z2, z3, z4, z5);
        s[j] = a;
        s[6 + j] = b;
        s[12 + j] = c;
        s[18 + j] = d;
    }

    /// <summary>Aᵀ z + bias for one row z of (Aᵀ M): stores element k at dst + k·stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void OutputRow(Vector256<float> z0, Vector256<float> z1, Vector256<float> z2, Vector256<float> z3, Vector256<float> z4, Vector256<float> z5, Vector256<float> bias, float* dst, int stride)
    {
        var (a, b, c, d) = Output(z0, z1, z2, z3, z4, z5);
        (a + bias).Store(dst);
        (b + bias).Store(dst + stride);
        (c + bias).Store(dst + (2 * stride));
        (d + bias).Store(dst + (3 * stride));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) Output(Vector256<float> z0, Vector256<float> z1, Vector256<float> z2, Vector256<float> z3, Vector256<float> z4, Vector256<float> z5)
    {
        var p12 = z1 + z2;
        var m12 = z1 - z2;
        var p34 = z3 + z4;
        var m34 = z3 - z4;
        return (
            z0 + p12 + p34,
            Vector256.FusedMultiplyAdd(Vector256.Create(2f), m34, m12),
            Vector256.FusedMultiplyAdd(Vector256.Create(4f), p34, p12),
            Vector256.FusedMultiplyAdd(Vector256.Create(8f), m34, m12) + z5);
    }
}
