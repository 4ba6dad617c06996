// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ILGPU.Runtime;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Pooling on an ILGPU device.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, PoolArgs, int> _pool = null!;

    /// <inheritdoc/>
    public void Pool(DeviceTensor y, DeviceTensor x, PoolParams p)
    {
        var w = p.Window;
        var args = new PoolArgs((int)p.Kind, p.H, p.W, w.KernelH, w.KernelW, w.StrideH, w.StrideW, w.PadTop, w.PadLeft, w.PadBottom, w.PadRight, w.DilationH, w.DilationW, p.OutH, p.OutW, p.CountIncludePad ? 1 : 0);
        _pool(_stream, Launch(y.Length), Cast(x).View, Cast(y).View, args, Launch(y.Length));
    }

    private void LoadPool()
    {
        _pool = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, PoolArgs, int>(PoolKernels.Pool));
    }
}
