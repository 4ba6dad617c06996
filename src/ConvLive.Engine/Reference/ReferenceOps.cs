// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

/// <summary>
/// Naive references for every op, written straight from the ONNX definitions: plain nested loops, double
/// accumulation, no shared helpers with the fast backends. Tests hold both backends to these.
/// </summary>
internal static partial class ReferenceOps
{
    public static float[] Conv(float[] x, float[] w, float[]? b, ConvParams p)
    {
        var win = p.Window;
        var y = new float[p.N * p.M * p.OutH * p.OutW];
        int cg = p.C / p.Groups, mg = p.M / p.Groups;
        for (var n = 0; n < p.N; n++)
        for (var m = 0; m < p.M; m++)
        for (var oy = 0; oy < p.OutH; oy++)
        for (var ox = 0; ox < p.OutW; ox++)
        {
            var g = m / mg;
            double sum = b?[m] ?? 0;
            for (var c = 0; c < cg; c++)
            for (var i = 0; i < win.KernelH; i++)
            for (var j = 0; j < win.KernelW; j++)
            {
                var iy = (oy * win.StrideH) - win.PadTop + (i * win.DilationH);
                var ix = (ox * win.StrideW) - win.PadLeft + (j * win.DilationW);
                if (iy >= 0 && iy < p.H && ix >= 0 && ix < p.W)
                {
                    sum += (double)x[(((n * p.C) + (g * cg) + c) * p.H + iy) * p.W + ix] * w[(((m * cg) + c) * win.KernelH + i) * win.KernelW + j];
                }
            }

            y[(((n * p.M) + m) * p.OutH + oy) * p.OutW + ox] = p.Relu ? (float)Math.Max(0, sum) : (float)sum;
        }

        return y;
    }

    public static float[] Pool(float[] x, PoolParams p)
    {
        var w = p.Window;
        var y = new float[p.N * p.C * p.OutH * p.OutW];
        for (var plane = 0; plane < p.N * p.C; plane++)
        for (var oy = 0; oy < p.OutH; oy++)
        for (var ox = 0; ox < p.OutW; ox++)
        {
            double max = double.NegativeInfinity, sum = 0;
            int valid = 0, padded = 0;
            for (var i = 0; i < w.KernelH; i++)
            for (var j = 0; j < w.KernelW; j++)
            {
                var iy = (oy * w.StrideH) - w.PadTop + (i * w.DilationH);
                var ix = (ox * w.StrideW) - w.PadLeft + (j * w.DilationW);
                if (iy < p.H + w.PadBottom && ix < p.W + w.PadRight)
                {
                    padded++; // inside the padded input: counted by count_include_pad
                }

                if (iy >= 0 && iy < p.H && ix >= 0 && ix < p.W)
                {
                    double v = x[((plane * p.H) + iy) * p.W + ix];
                    max = Math.Max(max, v);
                    sum += p.Kind == PoolKind.L2 ? v * v : v;
                    valid++;
                }
            }

            y[((plane * p.OutH) + oy) * p.OutW + ox] = (float)(p.Kind switch
            {
                PoolKind.Max => max,
                PoolKind.L2 => Math.Sqrt(sum),
                _ => sum / (p.CountIncludePad ? padded : valid),
            });
        }

        return y;
    }

    public static float[] Activation(float[] x, ActivationKind kind, float alpha) =>
        x.Select(v => (float)(kind switch
        {
            ActivationKind.Relu => Math.Max(0.0, v),
            ActivationKind.LeakyRelu => v >= 0 ? v : alpha * (double)v,
            ActivationKind.Tanh => Math.Tanh(v),
            _ => 1 / (1 + Math.Exp(-v)),
        })).ToArray();

    public static float[] Binary(float[] a, int[] aDims, float[] b, int[] bDims, BinaryKind kind, out int[] outDims)
    {
        var rank = Math.Max(aDims.Length, bDims.Length);
        int[] pa = [.. Enumerable.Repeat(1, rank - aDims.Length), .. aDims], pb = [.. Enumerable.Repeat(1, rank - bDims.Length), .. bDims];
        outDims = pa.Zip(pb, Math.Max).ToArray();
        var total = outDims.Aggregate(1, (x, y) => x * y);
        var y = new float[total];
        var index = new int[rank];
        for (var o = 0; o < total; o++)
        {
            var rest = o;
            for (var d = rank - 1; d >= 0; d--)
            {
                index[d] = rest % outDims[d];
                rest /= outDims[d];
            }

            int ai = 0, bi = 0;
            for (var d = 0; d < rank; d++)
            {
                ai = (ai * pa[d]) + (pa[d] == 1 ? 0 : index[d]);
                bi = (bi * pb[d]) + (pb[d] == 1 ? 0 : index[d]);
            }

            double u = a[ai], v = b[bi];
            y[o] = (float)(kind switch { BinaryKind.Add => u + v, BinaryKind.Sub => u - v, BinaryKind.Mul => u * v, _ => u / v });
        }

        return y;
    }

    public static float[] Lrn(float[] x, LrnParams p)
    {
        var y = new float[x.Length];
        for (var n = 0; n < p.N; n++)
        for (var c = 0; c < p.C; c++)
        for (var s = 0; s < p.Spatial; s++)
        {
            double sum = 0;
            for (var k = c - ((p.Size - 1) / 2); k <= c + (p.Size / 2); k++)
            {
                if (k >= 0 && k < p.C)
                {
                    double v = x[((n * p.C) + k) * p.Spatial + s];
                    sum += v * v;
                }
            }

            var i = ((n * p.C) + c) * p.Spatial + s;
            y[i] = (float)(x[i] / Math.Pow(p.Bias + (p.Alpha / p.Size * sum), p.Beta));
        }

        return y;
    }

    public static float[] BatchNorm(float[] x, int n, int c, int spatial, float[] scale, float[] bias, float[] mean, float[] variance, float eps)
    {
        var y = new float[x.Length];
        for (var i = 0; i < n; i++)
        for (var ch = 0; ch < c; ch++)
        for (var s = 0; s < spatial; s++)
        {
            var at = ((i * c) + ch) * spatial + s;
            y[at] = (float)((scale[ch] * (x[at] - (double)mean[ch]) / Math.Sqrt(variance[ch] + (double)eps)) + bias[ch]);
        }

        return y;
    }

    public static float[] Gemm(float[] a, float[] b, float[]? c, GemmParams p)
    {
        var y = new float[p.M * p.N];
        for (var i = 0; i < p.M; i++)
        for (var j = 0; j < p.N; j++)
        {
            double sum = 0;
            for (var k = 0; k < p.K; k++)
            {
                var av = p.TransA ? a[(k * p.M) + i] : a[(i * p.K) + k];
                var bv = p.TransB ? b[(j * p.K) + k] : b[(k * p.N) + j];
                sum += (double)av * bv;
            }

            double bias = c is null ? 0 : p.Bias switch
            {
                BiasLayout.Scalar => c[0],
                BiasLayout.Row => c[j],
                BiasLayout.Column => c[i],
                BiasLayout.Full => c[(i * p.N) + j],
                _ => 0,
            };
            y[(i * p.N) + j] = (float)((p.Alpha * sum) + (p.Beta * bias));
        }

        return y;
    }

    public static float[] Softmax(float[] x, SoftmaxParams p)
    {
        var y = new float[x.Length];
        for (var o = 0; o < p.Outer; o++)
        for (var i = 0; i < p.Inner; i++)
        {
            var max = double.NegativeInfinity;
            for (var a = 0; a < p.Axis; a++)
            {
                max = Math.Max(max, x[(o * p.Axis + a) * p.Inner + i]);
            }

            double sum = 0;
            for (var a = 0; a < p.Axis; a++)
            {
                sum += Math.Exp(x[(o * p.Axis + a) * p.Inner + i] - max);
            }

            for (var a = 0; a < p.Axis; a++)
            {
                var v = x[(o * p.Axis + a) * p.Inner + i] - max;
                y[(o * p.Axis + a) * p.Inner + i] = (float)(p.Log ? v - Math.Log(sum) : Math.Exp(v) / sum);
            }
        }

        return y;
    }

    /// <summary>Crop, bilinear resample and normalise, from the definition in <see cref="PreprocessParams"/>.</summary>
    public static float[] Preprocess(byte[] bgr, PreprocessParams p)
    {
        var y = new float[3 * p.Size * p.Size];
        double step = p.CropSide / (double)p.Size;
        double[] mean = [p.Mean0, p.Mean1, p.Mean2], std = [p.Std0, p.Std1, p.Std2];
        for (var c = 0; c < 3; c++)
        for (var oy = 0; oy < p.Size; oy++)
        for (var ox = 0; ox < p.Size; ox++)
        {
            var sy = Math.Clamp(p.CropY + ((oy + 0.5) * step) - 0.5, 0, p.FrameHeight - 1);
            var sx = Math.Clamp(p.CropX + ((ox + 0.5) * step) - 0.5, 0, p.FrameWidth - 1);
            int y0 = (int)Math.Floor(sy), x0 = (int)Math.Floor(sx);
            int y1 = Math.Min(y0 + 1, p.FrameHeight - 1), x1 = Math.Min(x0 + 1, p.FrameWidth - 1);
            double fy = sy - y0, fx = sx - x0;
            var ch = p.Bgr ? c : 2 - c;
            double Pixel(int yy, int xx) => bgr[(((yy * p.FrameWidth) + xx) * 3) + ch];
            var v = (Pixel(y0, x0) * (1 - fx) * (1 - fy)) + (Pixel(y0, x1) * fx * (1 - fy)) + (Pixel(y1, x0) * (1 - fx) * fy) + (Pixel(y1, x1) * fx * fy);
            y[(c * p.Size * p.Size) + (oy * p.Size) + ox] = (float)(((v * p.Scale) - mean[c]) / std[c]);
        }

        return y;
    }

    /// <summary>Min-max normalised 8-bit tiles, from the definition in <see cref="TileLayout"/>.</summary>
    public static byte[] PackTiles(float[] x, TileLayout layout, int atlasLength)
    {
        var atlas = new byte[atlasLength];
        var plane = x.Length / layout.Channels;
        for (var c = 0; c < layout.Channels; c++)
        {
            var values = x.Skip(c * plane).Take(plane).ToArray();
            double min = values.Min(), max = values.Max();
            var (tx, ty) = layout.TileOrigin(c);
            for (var i = 0; i < layout.TileW * layout.TileH; i++)
            {
                var v = i < plane && max > min ? Math.Round((values[i] - min) * 255.0 / (max - min)) : 0;
                atlas[layout.Offset + ((ty + (i / layout.TileW)) * layout.AtlasWidth) + tx + (i % layout.TileW)] = (byte)v;
            }
        }

        return atlas;
    }
}
