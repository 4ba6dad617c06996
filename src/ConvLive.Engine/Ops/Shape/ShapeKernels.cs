// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU.Algorithms;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Transpose and strided block copies (grid-stride loops).</summary>
internal static partial class ShapeKernels
{
    /// <summary>Transpose as a gather: output element e reads x at Σ index_d · stride_d (strides in the A fields).</summary>
    public static void Transpose(Index1D i, ArrayView<float> x, ArrayView<float> y, BroadcastArgs p, int stride)
    {
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            y[e] = x[BinaryKernels.Offsets(e, p).A];
        }
    }

    /// <summary>Strided block copy: element r of block k goes from x[xOffset + k·xStride + r] to y[yOffset + k·yStride + r].</summary>
    public static void CopyBlocks(Index1D i, ArrayView<float> x, ArrayView<float> y, int xOffset, int xStride, int yOffset, int yStride, int run, int total, int stride)
    {
        for (var e = (int)i; e < total; e += stride)
        {
            var k = e / run;
            var r = e - (k * run);
            y[yOffset + (k * yStride) + r] = x[xOffset + (k * xStride) + r];
        }
    }
}
