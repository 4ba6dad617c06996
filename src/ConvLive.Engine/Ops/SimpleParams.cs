// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Ops;

/// <summary>Element-wise activations.</summary>
public enum ActivationKind
{
    /// <summary>max(0, x).</summary>
    Relu,

    /// <summary>x ≥ 0 ? x : alpha·x.</summary>
    LeakyRelu,

    /// <summary>tanh(x).</summary>
    Tanh,

    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,
}

/// <summary>Element-wise binary operations with NumPy broadcasting.</summary>
public enum BinaryKind
{
    /// <summary>a + b.</summary>
    Add,

    /// <summary>a − b.</summary>
    Sub,

    /// <summary>a · b.</summary>
    Mul,

    /// <summary>a / b.</summary>
    Div,
}

/// <summary>Local response normalisation across channels: y = x / (bias + alpha/size · Σ x²)^beta.</summary>
public readonly record struct LrnParams(int N, int C, int Spatial, int Size, float Alpha, float Beta, float Bias);

/// <summary>Softmax over a middle axis: x viewed as (Outer, Axis, Inner).</summary>
public readonly record struct SoftmaxParams(int Outer, int Axis, int Inner, bool Log);

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

/// <summary>
/// NumPy broadcasting of two shapes to one output, as per-axis strides over a common rank (0 where an axis
/// broadcasts). Ranks up to <see cref="MaxRank"/>.
/// </summary>
public sealed class BroadcastParams
{
    /// <summary>The highest rank broadcasting supports.</summary>
    public const int MaxRank = 6;

    private BroadcastParams(TensorShape output, int[] outDims, int[] aStrides, int[] bStrides, bool same, bool bScalar)
    {
        Output = output;
        OutDims = outDims;
        AStrides = aStrides;
        BStrides = bStrides;
        SameShape = same;
        BIsScalar = bScalar;
    }

    /// <summary>The broadcast output shape.</summary>
    public TensorShape Output { get; }

    /// <summary>Output dims, left-padded with 1s to <see cref="MaxRank"/>.</summary>
    public int[] OutDims { get; }

    /// <summary>A's element strides per padded axis (0 where broadcast).</summary>
    public int[] AStrides { get; }

    /// <summary>B's element strides per padded axis (0 where broadcast).</summary>
    public int[] BStrides { get; }

    /// <summary>A, B and the output have one shape: a flat loop suffices.</summary>
    public bool SameShape { get; }

    /// <summary>B holds one value and A has the output's shape.</summary>
    public bool BIsScalar { get; }

    /// <summary>Broadcasts <paramref name="a"/> with <paramref name="b"/>.</summary>
    /// <param name="a">Left shape.</param>
    /// <param name="b">Right shape.</param>
    /// <returns>The broadcast.</returns>
    /// <exception cref="ArgumentException">Incompatible dimensions or a rank above <see cref="MaxRank"/>.</exception>
    public static BroadcastParams Create(TensorShape a, TensorShape b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var rank = Math.Max(a.Rank, b.Rank);
        if (rank > MaxRank)
        {
            throw new ArgumentException($"broadcasting {a} with {b}: rank {rank} is above the supported {MaxRank}");
        }

        var outDims = new int[MaxRank];
        var aStrides = new int[MaxRank];
        var bStrides = new int[MaxRank];
        int aStride = 1, bStride = 1;
        for (var i = MaxRank - 1; i >= 0; i--)
        {
            var k = i - (MaxRank - rank);
            var ad = k >= 0 && k - (rank - a.Rank) >= 0 ? a[k - (rank - a.Rank)] : 1;
            var bd = k >= 0 && k - (rank - b.Rank) >= 0 ? b[k - (rank - b.Rank)] : 1;
            if (ad != bd && ad != 1 && bd != 1)
            {
                throw new ArgumentException($"shapes {a} and {b} do not broadcast (axis {k}: {ad} vs {bd})");
            }

            outDims[i] = ad == 1 ? bd : ad;
            aStrides[i] = ad == 1 ? 0 : aStride;
            bStrides[i] = bd == 1 ? 0 : bStride;
            aStride *= ad;
            bStride *= bd;
        }

        var output = new TensorShape(outDims.AsSpan(MaxRank - rank));
        return new BroadcastParams(output, outDims, aStrides, bStrides, a.Equals(b), b.Length == 1 && a.Equals(output));
    }
}

/// <summary>
/// A transpose as a strided gather: the output, padded to <see cref="BroadcastParams.MaxRank"/> axes, is walked in
/// row-major order and output axis i advances the input by <see cref="InStrides"/>[i] elements.
/// </summary>
public sealed class TransposeParams
{
    private TransposeParams(TensorShape output, int[] outDims, int[] inStrides)
    {
        Output = output;
        OutDims = outDims;
        InStrides = inStrides;
    }

    /// <summary>The output shape.</summary>
    public TensorShape Output { get; }

    /// <summary>Output dims, left-padded with 1s to six axes.</summary>
    public int[] OutDims { get; }

    /// <summary>Input element stride per padded output axis.</summary>
    public int[] InStrides { get; }

    /// <summary>Builds the gather for input <paramref name="x"/> and permutation <paramref name="perm"/>.</summary>
    /// <param name="x">The input shape.</param>
    /// <param name="perm">Output axis i takes input axis perm[i].</param>
    /// <returns>The parameters.</returns>
    public static TransposeParams Create(TensorShape x, int[] perm)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(perm);
        var rank = x.Rank;
        var strides = new int[rank];
        for (int i = rank - 1, s = 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= x[i];
        }

        var outDims = new int[BroadcastParams.MaxRank];
        var inStrides = new int[BroadcastParams.MaxRank];
        var pad = BroadcastParams.MaxRank - rank;
        for (var i = 0; i < BroadcastParams.MaxRank; i++)
        {
            outDims[i] = i < pad ? 1 : x[perm[i - pad]];
            inStrides[i] = i < pad ? 0 : strides[perm[i - pad]];
        }

        return new TransposeParams(new TensorShape(outDims.AsSpan(pad)), outDims, inStrides);
    }
}
