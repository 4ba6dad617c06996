// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// Winograd transforms over 6×6 patches with the interpolation points 0, ±1, ±2, ∞ (Lavin and Gray, "Fast
/// Algorithms for Convolutional Neural Networks", 2015). Bᵀ depends only on the points, so F(4×4, 3×3) and
/// F(2×2, 5×5) share it; Aᵀ holds the first m powers of each point (∞ contributes to the last), G the kernel's r
/// powers of each point scaled by 1/Π(pᵢ − pⱼ) — 1/4, −1/6, −1/6, 1/24, 1/24, 1:
/// <code>
///      [ 4  0 -5  0  1  0 ]    F(4×4, 3×3):                       F(2×2, 5×5):
///      [ 0 -4 -4  1  1  0 ]         [ 1  1  1  1  1  0 ]
/// Bᵀ = [ 0  4 -4 -1  1  0 ]    Aᵀ = [ 0  1 -1  2 -2  0 ]          Aᵀ = [ 1  1  1  1  1  0 ]
///      [ 0 -2 -1  2  1  0 ]         [ 0  1  1  4  4  0 ]               [ 0  1 -1  2 -2  1 ]
///      [ 0  2 -1 -2  1  0 ]         [ 0  1 -1  8 -8  1 ]
///      [ 0  4  0 -5  0  1 ]    G row for point p: s(p)·[1, p, p²]  G row: s(p)·[1, p, p², p³, p⁴]
/// </code>
/// An m×m tile of the correlation of a 6×6 patch d with an r×r kernel g is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A. The vector
/// forms apply the 1-D transform to six vectors at once (8 channels a lane), written out as the few adds each
/// row needs, not as matrix products.
/// </summary>
internal static class WinogradMatrices
{
    private static readonly double[] Points = [0, 1, -1, 2, -2];
    private static readonly double[] Scales = [1.0 / 4, -1.0 / 6, -1.0 / 6, 1.0 / 24, 1.0 / 24];

    /// <summary>G for an r-tap kernel: 6×r, row-major.</summary>
    public static double[] KernelMatrix(int r)
    {
        var g = new double[6 * r];
        for (var i = 0; i < 5; i++)
        {
            for (var k = 0; k < r; k++)
            {
                g[(i * r) + k] = Scales[i] * Math.Pow(Points[i], k);
            }
        }

        g[(5 * r) + r - 1] = 1; // ∞: the highest coefficient
        return g;
    }

    private static readonly double[] G3 = KernelMatrix(3);
    private static readonly double[] G5 = KernelMatrix(5);

    /// <summary>u = G g Gᵀ (6×6, row-major) for one r×r kernel g (row-major), r = 3 or 5.</summary>
    public static void TransformKernel(ReadOnlySpan<float> g, int r, Span<double> u)
    {
        var m = r == 3 ? G3 : r == 5 ? G5 : throw new ArgumentOutOfRangeException(nameof(r), r, "3 or 5");
        Span<double> gg = stackalloc double[6 * 5]; // (G g): 6×r
        for (var i = 0; i < 6; i++)
        {
            for (var k = 0; k < r; k++)
            {
                var sum = 0.0;
                for (var t = 0; t < r; t++)
                {
                    sum += m[(i * r) + t] * g[(t * r) + k];
                }

                gg[(i * r) + k] = sum;
            }
        }

        for (var i = 0; i < 6; i++)
        {
            for (var j = 0; j < 6; j++)
            {
                var sum = 0.0;
                for (var t = 0; t < r; t++)
                {
                    sum += gg[(i * r) + t] * m[(j * r) + t];
                }

                u[(i * 6) + j] = sum;
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

    /// <summary>Aᵀ z for one column z of the sums: writes s[6i + j] for i below the tile edge (4 or 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void OutputColumn(Vector256<float> z0, Vector256<float> z1, Vector256<float> z2, Vector256<float> z3, Vector256<float> z4, Vector256<float> z5, Span<Vector256<float>> s, int j, int tile)
    {
        if (tile == 2)
        {
            var (a2, b2) = Output2(z0, z1, z2, z3, z4, z5);
            s[j] = a2;
            s[6 + j] = b2;
            return;
        }

        var (a, b, c, d) = Output(z0, z1, z2, z3, z4, z5);
        s[j] = a;
        s[6 + j] = b;
        s[12 + j] = c;
        s[18 + j] = d;
    }

    /// <summary>Aᵀ z + bias (then max(0, ·) with relu) for one row z of (Aᵀ M): stores element k at dst + k·stride,
    /// k below the tile edge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void OutputRow(Vector256<float> z0, Vector256<float> z1, Vector256<float> z2, Vector256<float> z3, Vector256<float> z4, Vector256<float> z5, Vector256<float> bias, float* dst, int stride, int tile, bool relu)
    {
        // Below 0 becomes 0; NaN stays NaN (max(NaN, 0) is 0 in AVX's operand order, so compare explicitly).
        var floor = relu ? Vector256<float>.Zero : Vector256.Create(float.NegativeInfinity);
        if (tile == 2)
        {
            var (a2, b2) = Output2(z0, z1, z2, z3, z4, z5);
            Floor(a2 + bias, floor).Store(dst);
            Floor(b2 + bias, floor).Store(dst + stride);
            return;
        }

        var (a, b, c, d) = Output(z0, z1, z2, z3, z4, z5);
        Floor(a + bias, floor).Store(dst);
        Floor(b + bias, floor).Store(dst + stride);
        Floor(c + bias, floor).Store(dst + (2 * stride));
        Floor(d + bias, floor).Store(dst + (3 * stride));
    }

    /// <summary>v where v ≥ floor or v is NaN, else floor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Floor(Vector256<float> v, Vector256<float> floor) =>
        Vector256.ConditionalSelect(Vector256.LessThan(v, floor), floor, v);

    /// <summary>The two rows of F(2×2, 5×5)'s Aᵀ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>) Output2(Vector256<float> z0, Vector256<float> z1, Vector256<float> z2, Vector256<float> z3, Vector256<float> z4, Vector256<float> z5) =>
        (z0 + (z1 + z2) + (z3 + z4), Vector256.FusedMultiplyAdd(Vector256.Create(2f), z3 - z4, z1 - z2) + z5);

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
