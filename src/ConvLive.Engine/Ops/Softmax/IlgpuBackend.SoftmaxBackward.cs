// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Softmax's and LogSoftmax's backward on an ILGPU device, one thread a line.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, SoftmaxArgs, int> _softmaxBackward = null!;

    /// <inheritdoc/>
    public void SoftmaxBackward(DeviceTensor dx, DeviceTensor dy, DeviceTensor y, SoftmaxParams p)
    {
        var lines = p.Outer * p.Inner;
        _softmaxBackward(_stream, Launch(lines), Cast(dy).View, Cast(y).View, Cast(dx).View, new SoftmaxArgs(p.Outer, p.Axis, p.Inner, p.Log ? 1 : 0), Launch(lines));
    }

    private void LoadSoftmaxBackward() =>
        _softmaxBackward = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, SoftmaxArgs, int>(SoftmaxKernels.Backward));
}

/// <summary>Softmax's view (Outer, Axis, Inner) and form for a kernel.</summary>
internal readonly record struct SoftmaxArgs(int Outer, int Axis, int Inner, int Log);

/// <summary>Softmax's backward kernel.</summary>
internal static partial class SoftmaxKernels
{
    /// <summary>dx = y·(dy − Σ dy·y), or dy − exp(y)·Σ dy for the log form.</summary>
    public static void Backward(Index1D index, ArrayView<float> dy, ArrayView<float> y, ArrayView<float> dx, SoftmaxArgs p, int stride)
    {
        for (var line = (int)index; line < p.Outer * p.Inner; line += stride)
        {
            var o = line / p.Inner;
            var first = (o * p.Axis * p.Inner) + (line - (o * p.Inner));
            var dot = 0f;
            for (var a = 0; a < p.Axis; a++)
            {
                var at = first + (a * p.Inner);
                dot += p.Log != 0 ? dy[at] : dy[at] * y[at];
            }

            for (var a = 0; a < p.Axis; a++)
            {
                var at = first + (a * p.Inner);
                dx[at] = p.Log != 0 ? dy[at] - (XMath.Exp(y[at]) * dot) : y[at] * (dy[at] - dot);
            }
        }
    }
}
