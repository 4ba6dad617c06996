// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Ops;

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
