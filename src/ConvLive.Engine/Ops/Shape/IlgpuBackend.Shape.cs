// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ILGPU.Runtime;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Strided block copies (Concat, Split) and Transpose on an ILGPU device.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int, int, int> _copy = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, BroadcastArgs, int> _transpose = null!;

    /// <inheritdoc/>
    public void CopyBlocks(DeviceTensor y, int yOffset, int yStride, DeviceTensor x, int xOffset, int xStride, int blocks, int run)
    {
        var total = blocks * run;
        if (total > 0)
        {
            _copy(_stream, Launch(total), Cast(x).View, Cast(y).View, xOffset, xStride, yOffset, yStride, run, total, Launch(total));
        }
    }

    /// <inheritdoc/>
    public void Transpose(DeviceTensor y, DeviceTensor x, TransposeParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        int[] d = p.OutDims, s = p.InStrides;
        var args = new BroadcastArgs(d[0], d[1], d[2], d[3], d[4], d[5], s[0], s[1], s[2], s[3], s[4], s[5], 0, 0, 0, 0, 0, 0, 0);
        _transpose(_stream, Launch(y.Length), Cast(x).View, Cast(y).View, args, Launch(y.Length));
    }

    private void LoadShape()
    {
        _copy = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int, int, int>(ShapeKernels.CopyBlocks));
        _transpose = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, BroadcastArgs, int>(ShapeKernels.Transpose));
    }
}
