// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Ops;

/// <summary>What a pooling window computes.</summary>
public enum PoolKind
{
    /// <summary>The largest value in the window (padding never wins).</summary>
    Max,

    /// <summary>The mean, over the valid positions or (count_include_pad) over the window's padded extent.</summary>
    Average,

    /// <summary>The L2 norm: sqrt(Σ x²) (LpPool with p = 2; padding counts as zeros).</summary>
    L2,
}

/// <summary>A resolved 2-D pooling: x (N,C,H,W) → y (N,C,OH,OW).</summary>
public readonly record struct PoolParams(PoolKind Kind, int N, int C, int H, int W, Window2D Window, int OutH, int OutW, bool CountIncludePad)
{
    /// <summary>The output shape (N, C, OH, OW).</summary>
    public TensorShape OutputShape => new(N, C, OutH, OutW);
}
