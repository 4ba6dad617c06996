// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ILGPU.Runtime;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Convolution on an ILGPU device: direct for few-output layers, else an implicit GEMM (the register-blocked
/// GEMM reading the input as im2col columns in its loads: no column buffer, one launch).</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs, ConvColumns> _convGemm = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DirectConvArgs, int> _directConv = null!;

    /// <summary>Direct convolution, a thread per output, when a group has at most this many outputs (the blocked
    /// GEMM's 64-row blocks would be mostly idle).</summary>
    private const int DirectConvMaxOutputs = 4;

    /// <inheritdoc/>
    public void Conv(DeviceTensor y, DeviceTensor x, DeviceTensor w, DeviceTensor? b, ConvParams p, DeviceTensor? residual = null)
    {
        ArrayView<float> yv = Cast(y).View, xv = Cast(x).View, wv = Cast(w).View;
        if (ReferenceEquals(Cast(x).Storage, Cast(y).Storage))
        {
            throw new ArgumentException($"a convolution's output must be a tensor other than its input ({x.Shape}): the input is read while outputs are stored");
        }

        if (residual is not null && (!residual.Shape.Equals(y.Shape) || ReferenceEquals(Cast(residual).Storage, Cast(y).Storage)))
        {
            throw new ArgumentException($"a convolution's residual must be a tensor of its output's shape {y.Shape} other than the output, got {residual.Shape}");
        }

        var rv = residual is null ? default : Cast(residual).View;
        var win = p.Window;
        int cg = p.GroupInputs, mg = p.GroupOutputs, kk = cg * win.KernelH * win.KernelW, spatial = p.OutH * p.OutW;
        if (mg <= DirectConvMaxOutputs)
        {
            var direct = new DirectConvArgs(p.C, p.H, p.W, p.M, cg, mg, win.KernelH, win.KernelW, win.StrideH, win.StrideW, win.PadTop, win.PadLeft, win.DilationH, win.DilationW, p.OutH, p.OutW, b is null ? 0 : 1, p.Relu ? 1 : 0, residual is null ? 0 : 1);
            _directConv(_stream, Launch(y.Length), xv, wv, b is null ? wv : Cast(b).View, residual is null ? yv : rv, yv, direct, Launch(y.Length));
            return;
        }

        // Implicit GEMM: the input read as im2col columns inside the blocked GEMM's loads (no column buffer), every
        // image and group in one launch (grid Z), bias, a residual and a fused Relu in the store: the output is written once.
        var columns = new ConvColumns(p.C, p.H, p.W, p.M, p.Groups, cg, mg, win.KernelH, win.KernelW, win.StrideH, win.StrideW, win.PadTop, win.PadLeft, win.DilationH, win.DilationW, p.OutW, spatial);
        var args = new GemmArgs(mg, spatial, kk, kk, 1, 0, 0, 1f, 0f, 0, 0, 0, spatial, RowBias: b is null ? 0 : 1, Relu: p.Relu ? 1 : 0);
        LaunchBlockedGemm(_convGemm, wv, xv, yv, args, columns, p.N * p.Groups, b is null ? default : Cast(b).View, rv);
    }

    private void LoadConv()
    {
        _convGemm = Counted(_accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs, ConvColumns>(MatrixKernels.BlockedGemm));
        _directConv = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DirectConvArgs, int>(ConvKernels.DirectConv));
    }
}
