// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Conv's backward on an ILGPU device: one thread per gradient element gathering the terms that reach it
/// (no atomics, so results are the same on every run).</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, DirectConvArgs, int> _convBackwardData = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, DirectConvArgs, int, int> _convBackwardFilter = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int> _convBackwardBias = null!;

    /// <inheritdoc/>
    public void ConvBackwardData(DeviceTensor dx, DeviceTensor dy, DeviceTensor w, ConvParams p) =>
        _convBackwardData(_stream, Launch(dx.Length), Cast(dy).View, Cast(w).View, Cast(dx).View, ConvArgs(p), Launch(dx.Length));

    /// <inheritdoc/>
    public void ConvBackwardFilter(DeviceTensor dw, DeviceTensor? db, DeviceTensor dy, DeviceTensor x, ConvParams p)
    {
        _convBackwardFilter(_stream, Launch(dw.Length), Cast(dy).View, Cast(x).View, Cast(dw).View, ConvArgs(p), p.N, Launch(dw.Length));
        if (db is not null)
        {
            _convBackwardBias(_stream, Launch(p.M), Cast(dy).View, Cast(db).View, p.N, p.M, p.OutH * p.OutW, Launch(p.M));
        }
    }

    private static DirectConvArgs ConvArgs(ConvParams p)
    {
        var w = p.Window;
        return new DirectConvArgs(p.C, p.H, p.W, p.M, p.GroupInputs, p.GroupOutputs, w.KernelH, w.KernelW, w.StrideH, w.StrideW, w.PadTop, w.PadLeft, w.DilationH, w.DilationW, p.OutH, p.OutW, 0);
    }

    private void LoadConvBackward()
    {
        _convBackwardData = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, DirectConvArgs, int>(ConvKernels.BackwardData));
        _convBackwardFilter = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, DirectConvArgs, int, int>(ConvKernels.BackwardFilter));
        _convBackwardBias = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>(ConvKernels.BackwardBias));
    }
}

/// <summary>Conv's backward kernels (grid-stride loops).</summary>
internal static partial class ConvKernels
{
    /// <summary>dx[n,c,iy,ix] = Σ over the group's outputs m and taps (i,j) that read it of w[m,c,i,j]·dy[n,m,oy,ox].</summary>
    public static void BackwardData(Index1D index, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, DirectConvArgs p, int stride)
    {
        for (var e = (int)index; e < dx.IntLength; e += stride)
        {
            var ix = e % p.W;
            var iy = (e / p.W) % p.H;
            var c = (e / (p.W * p.H)) % p.C;
            var n = e / (p.W * p.H * p.C);
            var g = c / p.CG;
            var ci = c - (g * p.CG);
            var sum = 0f;
            for (var i = 0; i < p.KH; i++)
            {
                var oy = ConvKernels.WindowAt(iy, p.PT, i, p.DH, p.SH, p.OH);
                if (oy < 0)
                {
                    continue;
                }

                for (var j = 0; j < p.KW; j++)
                {
                    var ox = ConvKernels.WindowAt(ix, p.PL, j, p.DW, p.SW, p.OW);
                    if (ox < 0)
                    {
                        continue;
                    }

                    for (var mm = 0; mm < p.MG; mm++)
                    {
                        var m = (g * p.MG) + mm;
                        sum += w[((((m * p.CG) + ci) * p.KH) + i) * p.KW + j] * dy[((((n * p.M) + m) * p.OH) + oy) * p.OW + ox];
                    }
                }
            }

            dx[e] = sum;
        }
    }

    /// <summary>dw[m,c,i,j] = Σ over the batch and output positions of dy[n,m,oy,ox]·x[n,c,iy,ix].</summary>
    public static void BackwardFilter(Index1D index, ArrayView<float> dy, ArrayView<float> x, ArrayView<float> dw, DirectConvArgs p, int batch, int stride)
    {
        for (var e = (int)index; e < dw.IntLength; e += stride)
        {
            var j = e % p.KW;
            var i = (e / p.KW) % p.KH;
            var ci = (e / (p.KW * p.KH)) % p.CG;
            var m = e / (p.KW * p.KH * p.CG);
            var c = ((m / p.MG) * p.CG) + ci;
            var sum = 0f;
            for (var n = 0; n < batch; n++)
            {
                for (var oy = 0; oy < p.OH; oy++)
                {
                    var iy = (oy * p.SH) - p.PT + (i * p.DH);
                    if (iy < 0 || iy >= p.H)
                    {
                        continue;
                    }

                    for (var ox = 0; ox < p.OW; ox++)
                    {
                        var ix = (ox * p.SW) - p.PL + (j * p.DW);
                        if (ix >= 0 && ix < p.W)
                        {
                            sum += dy[((((n * p.M) + m) * p.OH) + oy) * p.OW + ox] * x[((((n * p.C) + c) * p.H) + iy) * p.W + ix];
                        }
                    }
                }
            }

            dw[e] = sum;
        }
    }

    /// <summary>db[m] = Σ dy[n,m,·].</summary>
    public static void BackwardBias(Index1D index, ArrayView<float> dy, ArrayView<float> db, int batch, int channels, int spatial, int stride)
    {
        for (var m = (int)index; m < channels; m += stride)
        {
            var sum = 0f;
            for (var n = 0; n < batch; n++)
            {
                var at = ((n * channels) + m) * spatial;
                for (var s = 0; s < spatial; s++)
                {
                    sum += dy[at + s];
                }
            }

            db[m] = sum;
        }
    }

    /// <summary>The output position whose window reads input position <paramref name="input"/> at tap
    /// <paramref name="tap"/> (one axis), or −1 when none does: the gather form of a strided, padded, dilated window,
    /// shared by the convolution's and pooling's input gradients.</summary>
    public static int WindowAt(int input, int padBegin, int tap, int dilation, int stride, int outputs)
    {
        var t = input + padBegin - (tap * dilation);
        return t < 0 || t % stride != 0 || t / stride >= outputs ? -1 : t / stride;
    }
}
