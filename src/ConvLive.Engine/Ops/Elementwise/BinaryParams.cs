// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Ops;

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
