// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>The training ops on the device.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, int> _crossEntropy = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, OptimizerArgs, int> _optimizer = null!;

    /// <inheritdoc/>
    public void SoftmaxCrossEntropy(DeviceTensor grad, DeviceTensor loss, DeviceTensor logits, DeviceTensor target, float scale)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(logits);
        var k = logits.Length / Math.Max(1, loss.Length);
        _crossEntropy(_stream, Launch(loss.Length), Cast(logits).View, Cast(target).View, Cast(grad).View, Cast(loss).View, k, scale, Launch(loss.Length));
    }

    /// <inheritdoc/>
    public void OptimizerStep(DeviceTensor parameter, DeviceTensor grad, DeviceTensor m, DeviceTensor v, OptimizerParams p) =>
        _optimizer(_stream, Launch(parameter.Length), Cast(parameter).View, Cast(grad).View, Cast(m).View, Cast(v).View, OptimizerArgs.From(p), Launch(parameter.Length));

    /// <inheritdoc/>
    public void ParametersChanged(DeviceTensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        parameter.Derived = null; // nothing is derived from weights on a device today; kept for when something is
    }

    /// <inheritdoc/>
    public void SetParameter(DeviceTensor parameter, ReadOnlySpan<float> values)
    {
        Upload(parameter, values);
        ParametersChanged(parameter);
    }

    private void LoadTrainingKernels()
    {
        _crossEntropy = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, int>(IlgpuTrainingKernels.SoftmaxCrossEntropy));
        _optimizer = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, OptimizerArgs, int>(IlgpuTrainingKernels.OptimizerStep));
        LoadConvBackward();
        LoadPoolBackward();
        LoadNormaliseBackward();
        LoadBinaryBackward();
        LoadSoftmaxBackward();
    }
}
