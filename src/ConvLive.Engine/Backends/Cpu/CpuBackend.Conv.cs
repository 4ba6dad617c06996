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
