// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ILGPU.Runtime;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Convolution on an ILGPU device: direct for few-output layers, else im2col into scratch and the tiled GEMM.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, Im2ColArgs, int, int> _im2col = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DirectConvArgs, int> _directConv = null!;

    /// <summary>Direct convolution (no im2col) when a group has at most this many outputs…</summary>
    private const int DirectConvMaxOutputs = 4;

    /// <summary>…and each output at most this many taps (C/G·KH·KW).</summary>
    private const int DirectConvMaxTaps = 256;

    /// <inheritdoc/>
    public void Conv(DeviceTensor y, DeviceTensor x, DeviceTensor w, DeviceTensor? b, ConvParams p)
    {
        ArrayView<float> yv = Cast(y).View, xv = Cast(x).View, wv = Cast(w).View;
        var win = p.Window;
        int cg = p.GroupInputs, mg = p.GroupOutputs, kk = cg * win.KernelH * win.KernelW, spatial = p.OutH * p.OutW;
        if (mg <= DirectConvMaxOutputs && kk <= DirectConvMaxTaps)
        {
            var direct = new DirectConvArgs(p.C, p.H, p.W, p.M, cg, mg, win.KernelH, win.KernelW, win.StrideH, win.StrideW, win.PadTop, win.PadLeft, win.DilationH, win.DilationW, p.OutH, p.OutW, b is null ? 0 : 1, p.Relu ? 1 : 0);
            _directConv(_stream, Launch(y.Length), xv, wv, b is null ? wv : Cast(b).View, yv, direct, Launch(y.Length));
            return;
        }

        var columns = Scratch((long)kk * spatial);
        for (var n = 0; n < p.N; n++)
        {
            for (var g = 0; g < p.Groups; g++)
            {
                var args = new Im2ColArgs(cg, p.H, p.W, win.KernelH, win.KernelW, win.StrideH, win.StrideW, win.PadTop, win.PadLeft, win.DilationH, win.DilationW, p.OutH, p.OutW, ((n * p.C) + (g * cg)) * p.H * p.W);
                var total = kk * spatial;
                _im2col(_stream, Launch(total), xv, columns, args, total, Launch(total));
                // Bias and a fused Relu in the GEMM's store: the output is written once.
                LaunchGemm(wv, columns, yv, new GemmArgs(mg, spatial, kk, kk, 1, spatial, 1, 1f, 0f, g * mg * kk, 0, ((n * p.M) + (g * mg)) * spatial, spatial,
                    RowBias: b is null ? 0 : 1, BiasOffset: g * mg, Relu: p.Relu ? 1 : 0), b is null ? default : Cast(b).View);
            }
        }
    }

    private void LoadConv()
    {
        _im2col = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, Im2ColArgs, int, int>(ConvKernels.Im2Col));
        _directConv = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DirectConvArgs, int>(ConvKernels.DirectConv));
    }
}
