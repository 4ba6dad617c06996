// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ILGPU.Runtime;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Softmax and LogSoftmax on an ILGPU device.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int> _softmax = null!;

    /// <inheritdoc/>
    public void Softmax(DeviceTensor y, DeviceTensor x, SoftmaxParams p)
    {
        var lines = p.Outer * p.Inner;
        _softmax(_stream, Launch(lines), Cast(x).View, Cast(y).View, p.Outer, p.Axis, p.Inner, p.Log ? 1 : 0, Launch(lines));
    }

    private void LoadSoftmax()
    {
        _softmax = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int>(SoftmaxKernels.Softmax));
    }
}
