// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>
/// Batch-1 products (M = 1: a fully connected layer on one picture), where the blocked GEMM would fill one of its
/// 64 rows. Each output is one dot product of length K; which kernel depends on how B lies in memory.
/// </summary>
internal static partial class MatrixKernels
{
    /// <summary>
    /// y[j] = alpha·Σ_k a(k)·B(k, j) + beta·c[j] with B(k, ·) contiguous over k (B0 = 1: the transposed weights of a
    /// fully connected layer, one row per output): a warp per output. Its lanes read consecutive k (coalesced), each
    /// keeps a partial sum in a register, and the warp adds them by shuffles; lane 0 stores with the epilogue.
    /// Groups of several warps, one output each (<c>Group.DimX / Warp.WarpSize</c> outputs per group).
    /// </summary>
    public static void GemvRows(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, GemmArgs g)
    {
        var j = (Grid.IdxX * (Group.DimX / Warp.WarpSize)) + Warp.WarpIdx;
        var sum = 0f;
        if (j < g.N)
        {
            var row = g.BOffset + (j * g.B1);
            for (var k = Warp.LaneIdx; k < g.K; k += Warp.WarpSize)
            {
                sum += a[g.AOffset + (k * g.A1)] * b[row + (k * g.B0)];
            }
        }

        // Every lane takes part in the shuffles (j is the same across a warp, so the branch above never splits one).
        for (var offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            sum += Warp.ShuffleDown(sum, offset);
        }

        if (Warp.IsFirstLane && j < g.N)
        {
            Store(c, bias, g, j, sum);
        }
    }

    /// <summary>
    /// y[j] = alpha·Σ_k a(k)·B(k, j) + beta·c[j] with B(·, j) contiguous over j (B1 = 1): a thread per output, the
    /// threads of a warp reading consecutive j of each row k (coalesced); a grid-stride loop over outputs.
    /// </summary>
    public static void GemvColumns(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, GemmArgs g, int stride)
    {
        for (var j = (int)i; j < g.N; j += stride)
        {
            var sum = 0f;
            for (var k = 0; k < g.K; k++)
            {
                sum += a[g.AOffset + (k * g.A1)] * b[g.BOffset + (k * g.B0) + (j * g.B1)];
            }

            Store(c, bias, g, j, sum);
        }
    }

    /// <summary>The GEMM's epilogue for row 0, column <paramref name="j"/>: alpha, beta, row bias, Relu.</summary>
    private static void Store(ArrayView<float> c, ArrayView<float> bias, GemmArgs g, int j, float sum)
    {
        var index = g.COffset + j;
        var value = g.Beta == 0f ? g.Alpha * sum : (g.Alpha * sum) + (g.Beta * c[index]);
        if (g.RowBias != 0)
        {
            value += bias[g.BiasOffset];
        }

        c[index] = g.Relu != 0 && value < 0f ? 0f : value;
    }
}
