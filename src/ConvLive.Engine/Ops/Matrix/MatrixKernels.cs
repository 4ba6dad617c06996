// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>GEMM geometry and its epilogue: with RowBias, bias[BiasOffset + row] is added to each row of C; with
/// Residual, residual[i] is added to C[i] after the bias; with Relu, C = max(0, ·) after both (a convolution's bias,
/// a residual block's Add and its Relu, in the GEMM's own store). Tile: threads along
/// each side of a group of the blocked GEMM; ZBase: the batch index of grid Z's 0 (a batch launched in chunks).</summary>
internal readonly record struct GemmArgs(int M, int N, int K, int A0, int A1, int B0, int B1, float Alpha, float Beta, int AOffset, int BOffset, int COffset, int Ldc, int Tile = 0, int RowBias = 0, int BiasOffset = 0, int Relu = 0, int ZBase = 0, int Residual = 0);

/// <summary>Four floats, one per column a thread owns in its row of the register tile.</summary>
internal readonly record struct Quad(float X, float Y, float Z, float W)
{
    /// <summary>This + a·b, lane by lane.</summary>
    public Quad Fma(float a, Quad b) => new(X + (a * b.X), Y + (a * b.Y), Z + (a * b.Z), W + (a * b.W));
}

/// <summary>The register-blocked GEMM.</summary>
internal static partial class MatrixKernels
{
    /// <summary>Outputs per thread along each of the block's two dimensions (a 4×4 register tile).</summary>
    public const int RegisterTile = 4;

    /// <summary>
    /// C = alpha·A·B + beta·C (+ row bias, Relu) for a batch of products (grid Z), each thread computing a 4×4 tile
    /// of C in registers: a group of Tile×Tile threads owns a (4·Tile)² block (64×64 with 16×16 threads on a GPU),
    /// stages Tile-deep slabs of A and B in shared memory (each thread loads 4 of each per slab; consecutive threads
    /// read consecutive addresses of a row of A when A1 = 1 and of B's columns when they are contiguous), then does 16
    /// multiply-adds per 8 shared loads. A's slab rows are padded by one word, so its transposing stores do not all
    /// fall in one shared-memory bank. A thread's rows and columns are Tile
    /// apart, so a warp reads consecutive shared words of B and stores consecutive words of C. B comes from
    /// <typeparamref name="TColumns"/>: a matrix, or a convolution's input with the im2col index computed in the
    /// load (no column buffer, one launch for every image and group).
    /// </summary>
    public static void BlockedGemm<TColumns>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, ArrayView<float> residual, GemmArgs g, TColumns columns)
        where TColumns : struct, IColumnSource
    {
        var t = g.Tile;
        var block = RegisterTile * t;
        var slab = t * block;
        var strideA = block + 1;
        var shared = SharedMemory.GetDynamic<float>();
        var tileA = shared.SubView(0, t * strideA);       // [k][row], rows padded
        var tileB = shared.SubView(t * strideA, slab);     // [k][column]
        int tx = Group.IdxX, ty = Group.IdxY, z = g.ZBase + Grid.IdxZ;
        int row0 = Grid.IdxY * block, col0 = Grid.IdxX * block;
        var aOffset = g.AOffset + columns.AOffset(z);
        var lid = (ty * t) + tx;
        var threads = t * t;
        Quad r0 = default, r1 = default, r2 = default, r3 = default;
        for (var k0 = 0; k0 < g.K; k0 += t)
        {
            for (var e = lid; e < slab; e += threads)
            {
                // A: k fastest (a row of A is contiguous in k for weights); B: the column fastest.
                int ka = k0 + (e % t), row = row0 + (e / t);
                tileA[((e % t) * strideA) + (e / t)] = row < g.M && ka < g.K ? a[aOffset + (row * g.A0) + (ka * g.A1)] : 0f;
                int kb = k0 + (e / block), col = col0 + (e % block);
                var index = kb < g.K && col < g.N ? columns.Index(z, kb, col) : -1;
                tileB[e] = index >= 0 ? b[index] : 0f;
            }

            Group.Barrier();
            for (var k = 0; k < t; k++)
            {
                int bk = k * block, ak = k * strideA;
                var q = new Quad(tileB[bk + tx], tileB[bk + tx + t], tileB[bk + tx + (2 * t)], tileB[bk + tx + (3 * t)]);
                r0 = r0.Fma(tileA[ak + ty], q);
                r1 = r1.Fma(tileA[ak + ty + t], q);
                r2 = r2.Fma(tileA[ak + ty + (2 * t)], q);
                r3 = r3.Fma(tileA[ak + ty + (3 * t)], q);
            }

            Group.Barrier();
        }

        var cOffset = g.COffset + columns.COffset(z);
        var biasOffset = g.BiasOffset + columns.BiasOffset(z);
        StoreRow(c, bias, residual, g, cOffset, biasOffset, row0 + ty, col0 + tx, t, r0);
        StoreRow(c, bias, residual, g, cOffset, biasOffset, row0 + ty + t, col0 + tx, t, r1);
        StoreRow(c, bias, residual, g, cOffset, biasOffset, row0 + ty + (2 * t), col0 + tx, t, r2);
        StoreRow(c, bias, residual, g, cOffset, biasOffset, row0 + ty + (3 * t), col0 + tx, t, r3);
    }

    /// <summary>One row of a thread's register tile: columns <paramref name="col"/>, +t, +2t, +3t.</summary>
    private static void StoreRow(ArrayView<float> c, ArrayView<float> bias, ArrayView<float> residual, GemmArgs g, int cOffset, int biasOffset, int row, int col, int t, Quad r)
    {
        if (row >= g.M)
        {
            return;
        }

        var rowBias = g.RowBias != 0 ? bias[biasOffset + row] : 0f;
        StoreOne(c, residual, g, cOffset + (row * g.Ldc), rowBias, col, r.X);
        StoreOne(c, residual, g, cOffset + (row * g.Ldc), rowBias, col + t, r.Y);
        StoreOne(c, residual, g, cOffset + (row * g.Ldc), rowBias, col + (2 * t), r.Z);
        StoreOne(c, residual, g, cOffset + (row * g.Ldc), rowBias, col + (3 * t), r.W);
    }

    /// <summary>The epilogue of one output: alpha, beta, row bias, a residual at C's own index, Relu, in the one store.</summary>
    private static void StoreOne(ArrayView<float> c, ArrayView<float> residual, GemmArgs g, int rowStart, float rowBias, int col, float sum)
    {
        if (col < g.N)
        {
            var index = rowStart + col;
            var value = (g.Beta == 0f ? g.Alpha * sum : (g.Alpha * sum) + (g.Beta * c[index])) + rowBias;
            if (g.Residual != 0)
            {
                value += residual[index];
            }

            c[index] = g.Relu != 0 && value < 0f ? 0f : value;
        }
    }
}
