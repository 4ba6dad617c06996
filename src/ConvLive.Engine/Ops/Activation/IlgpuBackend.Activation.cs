// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ILGPU.Runtime;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Activations on an ILGPU device, forward and backward.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, float, int> _activation = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, int> _activationBackward = null!;

    /// <inheritdoc/>
    public void Activation(DeviceTensor y, DeviceTensor x, ActivationKind kind, float alpha) =>
        _activation(_stream, Launch(y.Length), Cast(x).View, Cast(y).View, (int)kind, alpha, Launch(y.Length));

    /// <inheritdoc/>
    public void ActivationBackward(DeviceTensor dx, DeviceTensor dy, DeviceTensor y, ActivationKind kind, float alpha, GradientRule rule = GradientRule.Gradient) =>
        _activationBackward(_stream, Launch(dx.Length), Cast(dy).View, Cast(y).View, Cast(dx).View, ActivationCode(kind) + (kind == ActivationKind.Relu ? 4 * (int)rule : 0), alpha, Launch(dx.Length));

    private static int ActivationCode(ActivationKind kind) => kind switch
    {
        ActivationKind.Relu => 0,
        ActivationKind.LeakyRelu => 1,
        ActivationKind.Tanh => 2,
        ActivationKind.Sigmoid => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation"),
    };

    private void LoadActivation()
    {
        _activation = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, float, int>(ActivationKernels.Activation));
        _activationBackward = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, int>(ActivationKernels.ActivationBackward));
    }
}
