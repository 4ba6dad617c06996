// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Ops;

/// <summary>C = alpha·op(A)·op(B) + beta·C0 with A (M,K) or (K,M), B (K,N) or (N,K); C0 broadcast to (M,N).</summary>
public readonly record struct GemmParams(int M, int N, int K, bool TransA, bool TransB, float Alpha, float Beta, BiasLayout Bias);

/// <summary>How Gemm's C broadcasts to (M,N).</summary>
public enum BiasLayout
{
    /// <summary>No C, or beta = 0.</summary>
    None,

    /// <summary>One value.</summary>
    Scalar,

    /// <summary>One value per column: shape (N) or (1,N).</summary>
    Row,

    /// <summary>One value per row: shape (M,1).</summary>
    Column,

    /// <summary>Shape (M,N).</summary>
    Full,
}

/// <summary>
/// Batched matrix product (NumPy matmul) of A (…,M,K) and B (…,K,N): the batch dimensions broadcast; each batch
/// index b has its A and B matrices at element offsets AOffsets[b] and BOffsets[b].
/// </summary>
public sealed record MatMulParams(int Batch, int M, int N, int K, int[] AOffsets, int[] BOffsets, TensorShape OutputShape);
