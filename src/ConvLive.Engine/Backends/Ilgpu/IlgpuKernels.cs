// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU;
using ILGPU.Algorithms;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>
/// The ILGPU backend's kernels. Element-wise kernels are grid-stride loops (a launch sized to fill the device,
/// neighbouring threads on neighbouring elements so loads coalesce). GEMM is tiled through shared memory.
/// </summary>
internal static class IlgpuKernels
{
    /// <summary>
    /// C[COffset + i·Ldc + j] = alpha·Σ A(i,k)·B(k,j) + beta·C, A(i,k) = a[AOffset + i·A0 + k·A1]. A group of
    /// Tile×Tile threads computes one Tile×Tile block of C, staging Tile-wide slabs of A and B in (dynamic)
    /// shared memory so each global element is loaded once per block; the tile is 16 on GPUs and smaller where the
    /// device allows fewer threads per group (ILGPU's CPU simulator allows 16). The epilogue (row bias, Relu) is
    /// applied in the same store, so a convolution writes its output once.
    /// </summary>
    public static void Gemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, GemmArgs g)
    {
        var tile = g.Tile;
        var shared = SharedMemory.GetDynamic<float>();
        var tileA = shared.SubView(0, tile * tile);
        var tileB = shared.SubView(tile * tile, tile * tile);
        int tx = Group.IdxX, ty = Group.IdxY;
        var row = (Grid.IdxY * tile) + ty;
        var col = (Grid.IdxX * tile) + tx;
        var sum = 0f;
        for (var k0 = 0; k0 < g.K; k0 += tile)
        {
            var ka = k0 + tx;
            var kb = k0 + ty;
            tileA[(ty * tile) + tx] = row < g.M && ka < g.K ? a[g.AOffset + (row * g.A0) + (ka * g.A1)] : 0f;
            tileB[(ty * tile) + tx] = kb < g.K && col < g.N ? b[g.BOffset + (kb * g.B0) + (col * g.B1)] : 0f;
            Group.Barrier();
            for (var k = 0; k < tile; k++)
            {
                sum += tileA[(ty * tile) + k] * tileB[(k * tile) + tx];
            }

            Group.Barrier();
        }

        if (row < g.M && col < g.N)
        {
            var index = g.COffset + (row * g.Ldc) + col;
            var value = g.Beta == 0f ? g.Alpha * sum : (g.Alpha * sum) + (g.Beta * c[index]);
            if (g.RowBias != 0)
            {
                value += bias[g.BiasOffset + row];
            }

            c[index] = g.Relu != 0 && value < 0f ? 0f : value;
        }
    }

    /// <summary>Unfolds one group of one image into columns (C·KH·KW, OH·OW); zeros where padded.</summary>
    public static void Im2Col(Index1D i, ArrayView<float> x, ArrayView<float> columns, Im2ColArgs p, int total, int stride)
    {
        var spatial = p.OH * p.OW;
        for (var e = (int)i; e < total; e += stride)
        {
            var row = e / spatial;
            var s = e - (row * spatial);
            var oy = s / p.OW;
            var ox = s - (oy * p.OW);
            var j = row % p.KW;
            var ki = (row / p.KW) % p.KH;
            var c = row / (p.KW * p.KH);
            var iy = (oy * p.SH) - p.PT + (ki * p.DH);
            var ix = (ox * p.SW) - p.PL + (j * p.DW);
            columns[e] = iy >= 0 && iy < p.H && ix >= 0 && ix < p.W ? x[p.XOffset + (((c * p.H) + iy) * p.W) + ix] : 0f;
        }
    }

    /// <summary>Direct convolution, one output per thread (few outputs per group, small kernels: the lecture's
    /// single-channel filters and depthwise layers, where im2col + GEMM would be mostly overhead).</summary>
    public static void DirectConv(Index1D i, ArrayView<float> x, ArrayView<float> w, ArrayView<float> b, ArrayView<float> y, DirectConvArgs p, int stride)
    {
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            var ox = e % p.OW;
            var rest = e / p.OW;
            var oy = rest % p.OH;
            rest /= p.OH;
            var m = rest % p.M;
            var n = rest / p.M;
            var g = m / p.MG;
            var sum = p.HasBias != 0 ? b[m] : 0f;
            for (var c = 0; c < p.CG; c++)
            {
                var plane = ((n * p.C) + (g * p.CG) + c) * p.H;
                var wBase = ((m * p.CG) + c) * p.KH * p.KW;
                for (var ky = 0; ky < p.KH; ky++)
                {
                    var iy = (oy * p.SH) - p.PT + (ky * p.DH);
                    if (iy < 0 || iy >= p.H)
                    {
                        continue;
                    }

                    for (var kx = 0; kx < p.KW; kx++)
                    {
                        var ix = (ox * p.SW) - p.PL + (kx * p.DW);
                        if (ix >= 0 && ix < p.W)
                        {
                            sum += w[wBase + (ky * p.KW) + kx] * x[((plane + iy) * p.W) + ix];
                        }
                    }
                }
            }

            y[e] = p.Relu != 0 && sum < 0f ? 0f : sum;
        }
    }

    /// <summary>One output per thread: max, average or L2 over the window.</summary>
    public static void Pool(Index1D i, ArrayView<float> x, ArrayView<float> y, PoolArgs p, int stride)
    {
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            var plane = e / (p.OH * p.OW);
            var s = e - (plane * p.OH * p.OW);
            var oy = s / p.OW;
            var ox = s - (oy * p.OW);
            var y0 = (oy * p.SH) - p.PT;
            var x0 = (ox * p.SW) - p.PL;
            var max = float.NegativeInfinity;
            var sum = 0f;
            var count = 0;
            for (var ki = 0; ki < p.KH; ki++)
            {
                var iy = y0 + (ki * p.DH);
                for (var kj = 0; kj < p.KW; kj++)
                {
                    var ix = x0 + (kj * p.DW);
                    if (iy >= 0 && iy < p.H && ix >= 0 && ix < p.W)
                    {
                        var v = x[(((plane * p.H) + iy) * p.W) + ix];
                        max = XMath.Max(max, v);
                        sum += p.Kind == 2 ? v * v : v;
                        count++;
                    }
                }
            }

            float result;
            if (p.Kind == 0)
            {
                result = max;
            }
            else if (p.Kind == 2)
            {
                result = XMath.Sqrt(sum);
            }
            else if (p.IncludePad != 0)
            {
                var y1 = XMath.Min(y0 + ((p.KH - 1) * p.DH) + 1, p.H + p.PB);
                var x1 = XMath.Min(x0 + ((p.KW - 1) * p.DW) + 1, p.W + p.PR);
                result = sum / ((((y1 - y0 - 1) / p.DH) + 1) * (((x1 - x0 - 1) / p.DW) + 1));
            }
            else
            {
                result = sum / XMath.Max(count, 1);
            }

            y[e] = result;
        }
    }

    /// <summary>Relu (0), LeakyRelu (1), Tanh (2), Sigmoid (3).</summary>
    public static void Activation(Index1D i, ArrayView<float> x, ArrayView<float> y, int kind, float alpha, int stride)
    {
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            var v = x[e];
            y[e] = kind == 0 ? XMath.Max(v, 0f)
                : kind == 1 ? (v >= 0f ? v : alpha * v)
                : kind == 2 ? XMath.Tanh(v)
                : 1f / (1f + XMath.Exp(-v));
        }
    }

    /// <summary>y = a ∘ b with per-axis strides (0 where broadcast) over six padded axes.</summary>
    public static void Binary(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, BroadcastArgs p, int stride)
    {
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            var (ai, bi) = Offsets(e, p);
            var u = a[ai];
            var v = b[bi];
            y[e] = p.Kind == 0 ? u + v : p.Kind == 1 ? u - v : p.Kind == 2 ? u * v : u / v;
        }
    }

    /// <summary>Transpose as a gather: output element e reads x at Σ index_d · stride_d (strides in the A fields).</summary>
    public static void Transpose(Index1D i, ArrayView<float> x, ArrayView<float> y, BroadcastArgs p, int stride)
    {
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            y[e] = x[Offsets(e, p).A];
        }
    }

    /// <summary>Unravels output index <paramref name="e"/> over six padded axes and returns the element offsets
    /// into the A and B operands (their strides are 0 on broadcast axes).</summary>
    private static (int A, int B) Offsets(int e, BroadcastArgs p)
    {
        var rest = e;
        var i5 = rest % p.D5;
        rest /= p.D5;
        var i4 = rest % p.D4;
        rest /= p.D4;
        var i3 = rest % p.D3;
        rest /= p.D3;
        var i2 = rest % p.D2;
        rest /= p.D2;
        var i1 = rest % p.D1;
        var i0 = rest / p.D1;
        return ((i0 * p.A0) + (i1 * p.A1) + (i2 * p.A2) + (i3 * p.A3) + (i4 * p.A4) + (i5 * p.A5),
                (i0 * p.B0) + (i1 * p.B1) + (i2 * p.B2) + (i3 * p.B3) + (i4 * p.B4) + (i5 * p.B5));
    }

    /// <summary>Frame bytes to the normalised network input, one output element per thread (bilinear).</summary>
    public static void Preprocess(Index1D i, ArrayView<byte> frame, ArrayView<float> y, PreprocessArgs p, int stride)
    {
        var step = p.CropSide / p.Size;
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            var c = e / (p.Size * p.Size);
            var rest = e - (c * p.Size * p.Size);
            var oy = rest / p.Size;
            var ox = rest - (oy * p.Size);
            var source = p.Bgr != 0 ? c : 2 - c;
            var mean = c == 0 ? p.Mean0 : c == 1 ? p.Mean1 : p.Mean2;
            var std = c == 0 ? p.Std0 : c == 1 ? p.Std1 : p.Std2;
            var sy = XMath.Clamp(p.CropY + ((oy + 0.5f) * step) - 0.5f, 0f, p.FrameHeight - 1);
            var sx = XMath.Clamp(p.CropX + ((ox + 0.5f) * step) - 0.5f, 0f, p.FrameWidth - 1);
            var y0 = (int)sy;
            var x0 = (int)sx;
            var y1 = XMath.Min(y0 + 1, p.FrameHeight - 1);
            var x1 = XMath.Min(x0 + 1, p.FrameWidth - 1);
            var fy = sy - y0;
            var fx = sx - x0;
            float a = frame[(((y0 * p.FrameWidth) + x0) * 3) + source];
            float b = frame[(((y0 * p.FrameWidth) + x1) * 3) + source];
            float d = frame[(((y1 * p.FrameWidth) + x0) * 3) + source];
            float f = frame[(((y1 * p.FrameWidth) + x1) * 3) + source];
            var v = ((a + ((b - a) * fx)) * (1 - fy)) + ((d + ((f - d) * fx)) * fy);
            y[e] = (v * (p.Scale / std)) - (mean / std);
        }
    }

    /// <summary>One thread per channel: find its min and max, then write its tile of normalised bytes.</summary>
    public static void PackTiles(Index1D c, ArrayView<float> x, ArrayView<byte> atlas, PackArgs p)
    {
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        var start = c * p.Plane;
        for (var i = 0; i < p.Plane; i++)
        {
            var v = x[start + i];
            min = XMath.Min(min, v);
            max = XMath.Max(max, v);
        }

        var scale = max > min ? 255f / (max - min) : 0f;
        var tx = p.X + ((c % p.Columns) * (p.TileW + p.Gap));
        var ty = p.Y + ((c / p.Columns) * (p.TileH + p.Gap));
        for (var i = 0; i < p.TileW * p.TileH; i++)
        {
            var row = i / p.TileW;
            var col = i - (row * p.TileW);
            atlas[p.Offset + ((ty + row) * p.AtlasWidth) + tx + col] = i < p.Plane ? (byte)(((x[start + i] - min) * scale) + 0.5f) : (byte)0;
        }
    }

    /// <summary>Inference batch norm: y = x·k[c] + d[c] with k, d folded from scale, bias, mean and variance.</summary>
    public static void BatchNorm(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> scale, ArrayView<float> bias, ArrayView<float> mean, ArrayView<float> variance, int spatial, int channels, float epsilon, int stride)
    {
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            var c = (e / spatial) % channels;
            var k = scale[c] / XMath.Sqrt(variance[c] + epsilon);
            y[e] = ((x[e] - mean[c]) * k) + bias[c];
        }
    }

    /// <summary>LRN across channels, one output per thread.</summary>
    public static void Lrn(Index1D i, ArrayView<float> x, ArrayView<float> y, int channels, int spatial, int size, float alpha, float beta, float bias, int stride)
    {
        var before = (size - 1) / 2;
        var after = size - 1 - before;
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            var s = e % spatial;
            var c = (e / spatial) % channels;
            var n = e / (spatial * channels);
            var sum = 0f;
            for (var k = XMath.Max(0, c - before); k <= XMath.Min(channels - 1, c + after); k++)
            {
                var v = x[(((n * channels) + k) * spatial) + s];
                sum += v * v;
            }

            y[e] = x[e] / XMath.Pow(bias + (alpha / size * sum), beta);
        }
    }

    /// <summary>Softmax or log-softmax; one thread per (outer, inner) line along the axis.</summary>
    public static void Softmax(Index1D i, ArrayView<float> x, ArrayView<float> y, int outer, int axis, int inner, int log, int stride)
    {
        for (var line = (int)i; line < outer * inner; line += stride)
        {
            var o = line / inner;
            var baseIndex = (o * axis * inner) + (line - (o * inner));
            var max = float.NegativeInfinity;
            for (var a = 0; a < axis; a++)
            {
                max = XMath.Max(max, x[baseIndex + (a * inner)]);
            }

            var sum = 0f;
            for (var a = 0; a < axis; a++)
            {
                sum += XMath.Exp(x[baseIndex + (a * inner)] - max);
            }

            var logSum = XMath.Log(sum);
            for (var a = 0; a < axis; a++)
            {
                var shifted = x[baseIndex + (a * inner)] - max;
                y[baseIndex + (a * inner)] = log != 0 ? shifted - logSum : XMath.Exp(shifted) / sum;
            }
        }
    }

    /// <summary>Strided block copy: element r of block k goes from x[xOffset + k·xStride + r] to y[yOffset + k·yStride + r].</summary>
    public static void CopyBlocks(Index1D i, ArrayView<float> x, ArrayView<float> y, int xOffset, int xStride, int yOffset, int yStride, int run, int total, int stride)
    {
        for (var e = (int)i; e < total; e += stride)
        {
            var k = e / run;
            var r = e - (k * run);
            y[yOffset + (k * yStride) + r] = x[xOffset + (k * xStride) + r];
        }
    }
}
