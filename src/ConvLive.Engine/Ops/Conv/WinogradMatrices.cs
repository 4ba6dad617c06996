// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// Winograd's minimal filtering F(m×m, r×r) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
/// 2015): an m×m tile of the correlation of an α×α patch d (α = m + r − 1) with an r×r kernel g is
/// Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A. The matrices come from Toom–Cook interpolation over α points (see
/// <see cref="Build"/>): 0, ±1, ±2, ∞ for F(4×4, 3×3) (6×6 patches), 0, ±1, ±2, ±½, ∞ for F(4×4, 5×5) (8×8), and
/// 0, ±1, ∞ for F(2×2, 3×3) (4×4 patches: 16 transformed weights per channel pair where F(4×4, 3×3) has 36, for
/// 2.25× fewer multiply-adds than direct instead of 4×):
/// <code>
///      [ 4  0 -5  0  1  0 ]        [ 1/4    0     0   ]        [ 1  1  1  1  1  0 ]
///      [ 0 -4 -4  1  1  0 ]        [ -1/6 -1/6  -1/6  ]   Aᵀ = [ 0  1 -1  2 -2  0 ]
/// Bᵀ = [ 0  4 -4 -1  1  0 ]    G = [ -1/6  1/6  -1/6  ]        [ 0  1  1  4  4  0 ]
///      [ 0 -2 -1  2  1  0 ]        [ 1/24  1/12  1/6  ]        [ 0  1 -1  8 -8  1 ]
///      [ 0  2 -1 -2  1  0 ]        [ 1/24 -1/12  1/6  ]
///      [ 0  4  0 -5  0  1 ]        [ 0      0     1   ]         F(4×4, 3×3)
/// </code>
/// The 6×6 vector transforms are written out as the few adds each row needs (8 channels a lane); the 4×4 and 8×8 ones
/// are generic matrix products over the fp32 matrices (two per tile, cheap next to the GEMM they feed).
/// </summary>
internal static class WinogradMatrices
{
    /// <summary>Finite interpolation points for 4×4 patches (∞ is the fourth): F(2×2, 3×3).</summary>
    private static readonly double[] Points4 = [0, 1, -1];

    /// <summary>Finite interpolation points for 6×6 patches (∞ is the sixth).</summary>
    private static readonly double[] Points6 = [0, 1, -1, 2, -2];

    /// <summary>Finite interpolation points for 8×8 patches (∞ is the eighth): F(4×4, 5×5).</summary>
    private static readonly double[] Points8 = [0, 1, -1, 2, -2, 0.5, -0.5];

    /// <summary>One algorithm's matrices, row-major: Bᵀ (α×α), G (α×r), Aᵀ (m×α), with m = α − r + 1.</summary>
    public sealed record Set(int Alpha, int Kernel, double[] BT, double[] G, double[] AT)
    {
        /// <summary>Output tile edge m.</summary>
        public int Tile => Alpha - Kernel + 1;

        /// <summary>Bᵀ in fp32, for the vector transforms.</summary>
        public float[] BTf { get; } = BT.Select(v => (float)v).ToArray();

        /// <summary>Aᵀ in fp32, for the vector transforms.</summary>
        public float[] ATf { get; } = AT.Select(v => (float)v).ToArray();
    }

    private static readonly Set F4x3 = Build(6, 3);
    private static readonly Set F4x5 = Build(8, 5);
    private static readonly Set F2x3 = Build(4, 3);

    /// <summary>The matrices for an r×r kernel and an m×m output tile: F(4×4, 3×3) over 6×6 patches, F(4×4, 5×5)
    /// over 8×8, F(2×2, 3×3) over 4×4.</summary>
    public static Set For(int r, int tile = 4) => (r, tile) switch
    {
        (3, 4) => F4x3,
        (5, 4) => F4x5,
        (3, 2) => F2x3,
        _ => throw new ArgumentOutOfRangeException(nameof(r), r, $"F({tile}x{tile}, {r}x{r}): only F(4x4, 3x3), F(4x4, 5x5) and F(2x2, 3x3)"),
    };

    /// <summary>
    /// Toom–Cook matrices over the finite points pᵢ and ∞: Bᵀ row i holds the coefficients of Πⱼ≠ᵢ(x − pⱼ) (the ∞
    /// row those of Πⱼ(x − pⱼ)); G row i is sᵢ·[1, pᵢ, …, pᵢ^(r−1)] with sᵢ = 1/Πⱼ≠ᵢ(pᵢ − pⱼ) (∞: the last
    /// coefficient); Aᵀ column i is [1, pᵢ, …, pᵢ^(m−1)] (∞: the last power).
    /// </summary>
    public static Set Build(int alpha, int r)
    {
        var points = alpha switch { 4 => Points4, 6 => Points6, 8 => Points8, _ => throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "4, 6 or 8") };
        int finite = alpha - 1, m = alpha - r + 1;
        var bt = new double[alpha * alpha];
        var g = new double[alpha * r];
        var at = new double[m * alpha];
        for (var i = 0; i <= finite; i++)
        {
            // Coefficients of the product of (x − pⱼ) over j ≠ i (all j for the ∞ row), lowest power first.
            var poly = new double[alpha];
            poly[0] = 1;
            var degree = 0;
            var scale = 1.0;
            for (var j = 0; j < finite; j++)
            {
                if (j == i)
                {
                    continue;
                }

                for (var k = ++degree; k >= 0; k--)
                {
                    poly[k] = (k > 0 ? poly[k - 1] : 0) - (points[j] * poly[k]);
                }

                scale *= i < finite ? points[i] - points[j] : 1;
            }

            Array.Copy(poly, 0, bt, i * alpha, alpha);
            for (var k = 0; k < r; k++)
            {
                g[(i * r) + k] = i < finite ? Math.Pow(points[i], k) / scale : (k == r - 1 ? 1 : 0);
            }

            for (var k = 0; k < m; k++)
            {
                at[(k * alpha) + i] = i < finite ? Math.Pow(points[i], k) : (k == m - 1 ? 1 : 0);
            }
        }

        return new Set(alpha, r, bt, g, at);
    }

    /// <summary>u = G g Gᵀ (α×α, row-major) for one r×r kernel g (row-major).</summary>
    public static void TransformKernel(ReadOnlySpan<float> g, Set set, Span<double> u)
    {
        int r = set.Kernel, alpha = set.Alpha;
        var m = set.G;
        Span<double> gg = stackalloc double[8 * 5]; // (G g): α×r
        for (var i = 0; i < alpha; i++)
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

        for (var i = 0; i < alpha; i++)
        {
            for (var j = 0; j < alpha; j++)
            {
                var sum = 0.0;
                for (var t = 0; t < r; t++)
                {
                    sum += gg[(i * r) + t] * m[(j * r) + t];
                }

                u[(i * alpha) + j] = sum;
            }
        }
    }

    /// <summary>V = Bᵀ d B for one α×α patch of 8-channel vectors (rows <paramref name="rowStride"/> floats apart),
    /// element ξ stored at dst + ξ·stride: the generic form, 2·α³ vector multiply-adds (α = 4 or 8; 6 has its own).</summary>
    public static unsafe void InputTile(float* corner, int rowStride, Set set, float* dst, long stride)
    {
        var a = set.Alpha;
        var bt = set.BTf;
        var t = stackalloc Vector256<float>[a * a];
        for (var i = 0; i < a; i++)
        {
            for (var j = 0; j < a; j++)
            {
                var sum = Vector256<float>.Zero;
                for (var k = 0; k < a; k++)
                {
                    sum = Vector256.FusedMultiplyAdd(Vector256.Create(bt[(i * a) + k]), Vector256.Load(corner + (k * rowStride) + (j * 8)), sum);
                }

                t[(i * a) + j] = sum;
            }
        }

        for (var i = 0; i < a; i++)
        {
            for (var j = 0; j < a; j++)
            {
                var sum = Vector256<float>.Zero;
                for (var k = 0; k < a; k++)
                {
                    sum = Vector256.FusedMultiplyAdd(Vector256.Create(bt[(j * a) + k]), t[(i * a) + k], sum);
                }

                sum.Store(dst + (((i * a) + j) * stride));
            }
        }
    }

    /// <summary>out = Aᵀ M A + bias (then max(0, ·) with relu) for one α×α block of sums (element ξ at m + ξ·stride),
    /// an m×m tile stored at dst + (m·i + j)·dstStride: the generic form (α = 4 or 8).</summary>
    public static unsafe void OutputTile(float* m, long stride, Set set, Vector256<float> bias, bool relu, float* dst, int dstStride)
    {
        int a = set.Alpha, tile = set.Tile;
        var at = set.ATf;
        var s = stackalloc Vector256<float>[tile * a];
        for (var i = 0; i < tile; i++)
        {
            for (var j = 0; j < a; j++)
            {
                var sum = Vector256<float>.Zero;
                for (var k = 0; k < a; k++)
                {
                    sum = Vector256.FusedMultiplyAdd(Vector256.Create(at[(i * a) + k]), Vector256.Load(m + (((k * a) + j) * stride)), sum);
                }

                s[(i * a) + j] = sum;
            }
        }

        var floor = relu ? Vector256<float>.Zero : Vector256.Create(float.NegativeInfinity);
        for (var i = 0; i < tile; i++)
        {
            for (var j = 0; j < tile; j++)
            {
                var sum = bias;
                for (var k = 0; k < a; k++)
                {
                    sum = Vector256.FusedMultiplyAdd(Vector256.Create(at[(j * a) + k]), s[(i * a) + k], sum);
                }

                Floor(sum, floor).Store(dst + (((i * tile) + j) * dstStride));
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

    /// <summary>Aᵀ z + bias (then max(0, ·) with relu) for one row z of (Aᵀ M): stores element k at dst + k·stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void OutputRow(Vector256<float> z0, Vector256<float> z1, Vector256<float> z2, Vector256<float> z3, Vector256<float> z4, Vector256<float> z5, Vector256<float> bias, float* dst, int stride, bool relu)
    {
        // Below 0 becomes 0; NaN stays NaN (max(NaN, 0) is 0 in AVX's operand order, so compare explicitly).
        var floor = relu ? Vector256<float>.Zero : Vector256.Create(float.NegativeInfinity);
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
