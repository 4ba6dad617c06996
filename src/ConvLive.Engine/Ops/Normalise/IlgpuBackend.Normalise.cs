// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ILGPU.Runtime;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>LRN and inference BatchNormalization on an ILGPU device.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, int> _batchNorm = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int, int, float, float, float, int> _lrn = null!;

    /// <inheritdoc/>
    public void Lrn(DeviceTensor y, DeviceTensor x, LrnParams p) =>
        _lrn(_stream, Launch(y.Length), Cast(x).View, Cast(y).View, p.C, p.Spatial, p.Size, p.Alpha, p.Beta, p.Bias, Launch(y.Length));

    /// <inheritdoc/>
    public void BatchNorm(DeviceTensor y, DeviceTensor x, DeviceTensor scale, DeviceTensor bias, DeviceTensor mean, DeviceTensor variance, float epsilon)
    {
        int n = x.Shape[0], c = x.Shape[1], spatial = x.Length / Math.Max(1, n * c);
        _batchNorm(_stream, Launch(y.Length), Cast(x).View, Cast(y).View, Cast(scale).View, Cast(bias).View, Cast(mean).View, Cast(variance).View, spatial, c, epsilon, Launch(y.Length));
    }

    private void LoadNormalise()
    {
        _batchNorm = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, int>(NormaliseKernels.BatchNorm));
        _lrn = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, float, float, float, int>(NormaliseKernels.Lrn));
    }
}
