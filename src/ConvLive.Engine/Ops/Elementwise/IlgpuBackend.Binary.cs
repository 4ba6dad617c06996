// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ILGPU.Runtime;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Add, Sub, Mul and Div with broadcasting on an ILGPU device.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastArgs, int> _binary = null!;

    /// <inheritdoc/>
    public void Binary(DeviceTensor y, DeviceTensor a, DeviceTensor b, BinaryKind kind, BroadcastParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        int[] d = p.OutDims, sa = p.AStrides, sb = p.BStrides;
        var args = new BroadcastArgs(d[0], d[1], d[2], d[3], d[4], d[5], sa[0], sa[1], sa[2], sa[3], sa[4], sa[5], sb[0], sb[1], sb[2], sb[3], sb[4], sb[5], (int)kind);
        _binary(_stream, Launch(y.Length), Cast(a).View, Cast(b).View, Cast(y).View, args, Launch(y.Length));
    }

    private void LoadBinary()
    {
        _binary = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastArgs, int>(BinaryKernels.Binary));
    }
}
