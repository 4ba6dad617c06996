// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>
/// Where the right operand B(k, j) of one product of a batch lies in memory, and where that product's A, C and bias
/// start: a strided matrix (<see cref="StridedColumns"/>) or a convolution's input read as im2col columns without the
/// buffer (<see cref="ConvColumns"/>). The blocked GEMM is generic over it, so each source compiles to its own kernel.
/// </summary>
internal interface IColumnSource
{
    /// <summary>The index of B(k, j) of product <paramref name="z"/>, or -1 where B is zero (a padded tap).</summary>
    int Index(int z, int k, int j);

    /// <summary>Offset of product <paramref name="z"/>'s A, added to <see cref="GemmArgs.AOffset"/>.</summary>
    int AOffset(int z);

    /// <summary>Offset of product <paramref name="z"/>'s C, added to <see cref="GemmArgs.COffset"/>.</summary>
    int COffset(int z);

    /// <summary>Offset of product <paramref name="z"/>'s row bias, added to <see cref="GemmArgs.BiasOffset"/>.</summary>
    int BiasOffset(int z);
}

/// <summary>B(k, j) = b[Offset + k·RowStride + j·ColumnStride]; one product.</summary>
internal readonly record struct StridedColumns(int Offset, int RowStride, int ColumnStride) : IColumnSource
{
    public int Index(int z, int k, int j) => Offset + (k * RowStride) + (j * ColumnStride);

    public int AOffset(int z) => 0;

    public int COffset(int z) => 0;

    public int BiasOffset(int z) => 0;
}
