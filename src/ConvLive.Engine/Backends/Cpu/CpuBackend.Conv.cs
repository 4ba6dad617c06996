// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Convolution as im2col + GEMM per (image, group); bias added in the same pass as the copy-out.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public unsafe void Conv(DeviceTensor y, DeviceTensor x, DeviceTensor w, DeviceTensor? b, ConvParams p)
    {
        float[] yd = Cast(y).Data, xd = Cast(x).Data, wd = Cast(w).Data;
        var bd = b is null ? null : Cast(b).Data;
        var win = p.Window;
        int cg = p.GroupInputs, mg = p.GroupOutputs, kk = cg * win.KernelH * win.KernelW, spatial = p.OutH * p.OutW;
        if (mg <= DirectConvMaxOutputs && kk <= DirectConvMaxTaps)
        {
            // Few outputs per group (the lecture's one-channel filters, depthwise layers): im2col would copy K² times
            // the input to feed a GEMM one row high. Accumulate shifted input rows instead, a row per work item.
            _direct.Set(yd, xd, wd, bd, p);
            _workers.For(p.N * p.M * p.OutH, _direct);
            return;
        }

        var columns = Scratch((long)kk * spatial);
        fixed (float* wp = wd, cp = columns, yp = yd)
        {
            for (var n = 0; n < p.N; n++)
            {
                for (var g = 0; g < p.Groups; g++)
                {
                    Im2Col(columns, xd, ((n * p.C) + (g * cg)) * p.H * p.W, cg, p);
                    var yOffset = ((n * p.M) + (g * mg)) * spatial;
                    Sgemm.Multiply(mg, spatial, kk, 1f, wp + ((long)g * mg * kk), kk, cp, spatial, 0f, yp + yOffset, spatial, _workers);
                    if (bd is not null)
                    {
                        for (var m = 0; m < mg; m++)
                        {
                            AddScalar(yd.AsSpan(yOffset + (m * spatial), spatial), bd[(g * mg) + m]);
                        }
                    }
                }
            }
        }
    }

    private const int DirectConvMaxOutputs = 4;
    private const int DirectConvMaxTaps = 256;

    /// <summary>Direct convolution of one output row: y[n,m,oy,:] = b[m] + Σ_c,ky,kx w·x[n,c,iy,ox·S − P + kx].</summary>
    private sealed class DirectConvJob : IWorkItem
    {
        private float[] _y = [];
        private float[] _x = [];
        private float[] _w = [];
        private float[]? _b;
        private ConvParams _p;

        public void Set(float[] y, float[] x, float[] w, float[]? b, ConvParams p) => (_y, _x, _w, _b, _p) = (y, x, w, b, p);

        public void Run(int item)
        {
            var p = _p;
            var win = p.Window;
            var oy = item % p.OutH;
            var m = (item / p.OutH) % p.M;
            var n = item / (p.OutH * p.M);
            int cg = p.GroupInputs, g = m / p.GroupOutputs;
            var row = _y.AsSpan((((n * p.M) + m) * p.OutH + oy) * p.OutW, p.OutW);
            row.Fill(_b is null ? 0f : _b[m]);
            for (var c = 0; c < cg; c++)
            {
                var plane = ((n * p.C) + (g * cg) + c) * p.H;
                for (var ky = 0; ky < win.KernelH; ky++)
                {
                    var iy = (oy * win.StrideH) - win.PadTop + (ky * win.DilationH);
                    if (iy < 0 || iy >= p.H)
                    {
                        continue;
                    }

                    var input = _x.AsSpan((plane + iy) * p.W, p.W);
                    for (var kx = 0; kx < win.KernelW; kx++)
                    {
                        var weight = _w[(((m * cg) + c) * win.KernelH + ky) * win.KernelW + kx];
                        var shift = (kx * win.DilationW) - win.PadLeft;

                        // Outputs whose tap lands inside the row: ox·S + shift in [0, W).
                        var first = shift >= 0 ? 0 : (-shift + win.StrideW - 1) / win.StrideW;
                        var last = Math.Min(p.OutW - 1, (p.W - 1 - shift) / win.StrideW);
                        if (p.W - 1 - shift < 0 || last < first)
                        {
                            continue;
                        }

                        if (win.StrideW == 1)
                        {
                            var count = last - first + 1;
                            var acc = row.Slice(first, count);
                            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(input.Slice(first + shift, count), weight, acc, acc);
                        }
                        else
                        {
                            for (var ox = first; ox <= last; ox++)
                            {
                                row[ox] += weight * input[(ox * win.StrideW) + shift];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Unfolds the receptive fields of one group into columns (C·KH·KW, OH·OW), zeros where padded.</summary>
    private void Im2Col(float[] columns, float[] x, int xOffset, int channels, ConvParams p)
    {
        _im2col.Set(columns, x, xOffset, p);
        _workers.For(channels * p.Window.KernelH, _im2col);
    }

    /// <summary>One (channel, kernel row) of im2col per work item; kept by the backend so a frame allocates nothing.</summary>
    private sealed class Im2ColJob : IWorkItem
    {
        private float[] _columns = [];
        private float[] _x = [];
        private int _xOffset;
        private ConvParams _p;

        public void Set(float[] columns, float[] x, int xOffset, ConvParams p) => (_columns, _x, _xOffset, _p) = (columns, x, xOffset, p);

        public void Run(int row)
        {
            var p = _p;
            var win = p.Window;
            int kh = win.KernelH, kw = win.KernelW, spatial = p.OutH * p.OutW;
            int c = row / kh, i = row % kh;
            for (var j = 0; j < kw; j++)
            {
                var dst = _columns.AsSpan(((row * kw) + j) * spatial, spatial);
                for (var oy = 0; oy < p.OutH; oy++)
                {
                    var iy = (oy * win.StrideH) - win.PadTop + (i * win.DilationH);
                    var line = dst.Slice(oy * p.OutW, p.OutW);
                    if (iy < 0 || iy >= p.H)
                    {
                        line.Clear();
                        continue;
                    }

                    var src = _xOffset + (((c * p.H) + iy) * p.W);
                    for (var ox = 0; ox < p.OutW; ox++)
                    {
                        var ix = (ox * win.StrideW) - win.PadLeft + (j * win.DilationW);
                        line[ox] = ix >= 0 && ix < p.W ? _x[src + ix] : 0f;
                    }
                }
            }
        }
    }
}
