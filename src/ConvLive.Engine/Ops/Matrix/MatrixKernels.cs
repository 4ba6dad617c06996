// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU.Algorithms;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>GEMM geometry and its epilogue: with RowBias, bias[BiasOffset + row] is added to each row of C; with
/// Relu, C = max(0, ·) after it (a convolution's bias and fused Relu, in the GEMM's own store).</summary>
internal readonly record struct GemmArgs(int M, int N, int K, int A0, int A1, int B0, int B1, float Alpha, float Beta, int AOffset, int BOffset, int COffset, int Ldc, int Tile = 0, int RowBias = 0, int BiasOffset = 0, int Relu = 0);

/// <summary>The shared-memory tiled GEMM.</summary>
internal static partial class MatrixKernels
{
    /// <summary>
    /// C[COffset + i·Ldc + j] = alpha·Σ A(i,k)·B(k,j) + beta·C, A(i,k) = a[AOffset + i·A0 + k·A1]. A group of
    /// Tile×Tile threads computes one Tile×Tile block of C, staging Tile-wide slabs of A and B in (dynamic)
    /// shared memory so each global element is loaded once per block; the tile is 16 on GPUs and smaller where the
    /// device allows fewer threads per group (ILGPU's CPU simulator allows 16). The epilogue (row bias, Relu) is
    /// applied in the same store, so a convolution writes its output once.
    /// </summary>
    public static void Gemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, GemmArgs g)
    {
        var tile = g.Tile;
        var shared = SharedMemory.GetDynamic<float>();
        var tileA = shared.SubView(0, tile * tile);
        var tileB = shared.SubView(tile * tile, tile * tile);
        int tx = Group.IdxX, ty = Group.IdxY;
        var row = (Grid.IdxY * tile) + ty;
        var col = (Grid.IdxX * tile) + tx;
        var sum = 0f;
        for (var k0 = 0; k0 < g.K; k0 += tile)
        {
            var ka = k0 + tx;
            var kb = k0 + ty;
            tileA[(ty * tile) + tx] = row < g.M && ka < g.K ? a[g.AOffset + (row * g.A0) + (ka * g.A1)] : 0f;
            tileB[(ty * tile) + tx] = kb < g.K && col < g.N ? b[g.BOffset + (kb * g.B0) + (col * g.B1)] : 0f;
            Group.Barrier();
            for (var k = 0; k < tile; k++)
            {
                sum += tileA[(ty * tile) + k] * tileB[(k * tile) + tx];
            }

            Group.Barrier();
        }

        if (row < g.M && col < g.N)
        {
            var index = g.COffset + (row * g.Ldc) + col;
            var value = g.Beta == 0f ? g.Alpha * sum : (g.Alpha * sum) + (g.Beta * c[index]);
            if (g.RowBias != 0)
            {
                value += bias[g.BiasOffset + row];
            }

            c[index] = g.Relu != 0 && value < 0f ? 0f : value;
        }
    }
}
