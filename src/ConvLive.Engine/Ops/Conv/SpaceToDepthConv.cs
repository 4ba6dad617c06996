// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// A strided convolution over few input channels (AlexNet's 11×11 stride-4 conv1, ResNet-18's 7×7 stride-2 stem) as
/// a stride-1 one that Winograd computes: with kernel offsets written k = S·q + r (0 ≤ r &lt; S), output (oy, ox)
/// reads x[c, S(oy + qy) + ry, S(ox + qx) + rx] = z[(c, ry, rx), oy + qy, ox + qx], where z, the padded input's
/// space-to-depth rearrangement, has C·S² channels of 1/S² the size. So y = conv(z, w′) with stride 1 and a
/// ⌈K/S⌉-wide kernel w′[m, (c, ry, rx), qy, qx] = w[m, c, S·qy + ry, S·qx + rx] (0 past the original kernel),
/// widened to 3×3 or 5×5 for <see cref="WinogradConv"/>'s F(4×4, 3×3) or F(4×4, 5×5).
/// </summary>
/// <remarks>
/// AlexNet conv1 (3 → 64 channels, 11×11, stride 4, 55×55 outputs) becomes a 3×3 convolution over 48 channels:
/// 432 taps an output instead of 363 (the kernel's 11 padded to 12), then 4× fewer multiply-adds by Winograd: 31%
/// of the direct GEMM's. ResNet-18's stem (3 → 64, 7×7, stride 2) would become 4×4 over 12 channels, widened to 5×5
/// for F(4×4, 5×5), too few channels for Winograd to pay (<see cref="Pays"/>). The rearranged weights are made
/// once per model and kept on the weight tensor (their Winograd transform on them); the rearranged input is one
/// gather a call, about the input's own size (AlexNet's: 48·57·57 values for 3·224·224). Rounding is Winograd's (~1e-5
/// of the outputs' spread), and whether this or the direct GEMM runs is timed per machine (<see cref="ConvChoices"/>).
/// Non-finite inputs spread further than in direct convolution: the taps the folding adds past the kernel (its 11
/// padded to 12, a 4×4 widened to 5×5) have zero weights but still multiply real inputs, and 0·∞ is NaN; Winograd's
/// transforms already spread one NaN over its tile.
/// </remarks>
internal sealed class SpaceToDepthConv(WinogradConv winograd) : IDisposable
{
    private readonly GatherJob _gather = new();
    private float[] _z = [];
    private CpuTensor? _scratchWeights; // w′ of a weight that is not constant (training), refilled every call

    /// <inheritdoc/>
    public void Dispose()
    {
        _scratchWeights?.Dispose();
        _scratchWeights = null;
    }

    /// <summary>w′ for one geometry, kept on a constant weight tensor (its own Winograd transform kept on w′).</summary>
    private sealed record Folded(CpuTensor Weights, int Stride, int Kernel, int Groups);

    /// <summary>Whether the geometry folds into a stride-1 3×3 or 5×5 one: equal strides of 2 or more, no dilation, a
    /// square kernel whose ⌈K/S⌉ is 3 to 5 (smaller would widen a 1- or 2-tap kernel to 3, more work than it saves).</summary>
    public static bool Supports(ConvParams p)
    {
        var win = p.Window;
        var s = win.StrideH;
        return s >= 2 && win.StrideW == s && win.DilationH == 1 && win.DilationW == 1 && win.KernelH == win.KernelW &&
               FoldedTaps(win.KernelH, s) is >= 3 and <= 5;
    }

    /// <summary>Whether it should beat the direct GEMM: at least 16 rearranged channels a group and 16 outputs (as
    /// stride-1 Winograd asks), and Winograd's multiply-adds (tiles rounded to 6) at most 60% of the direct ones.
    /// ResNet-18's stem folds to 12 channels: its F(4×4, 5×5) products over 16 (rounded) channels took 4.9–5.9 ms
    /// against the direct GEMM's ~2 (2-core EPYC, AVX2), the accumulators stored every 16 taps and the 8×8 transforms
    /// as costly as the products.</summary>
    public static bool Pays(ConvParams p)
    {
        if (!Supports(p) || p.GroupOutputs < 16)
        {
            return false;
        }

        var folded = Fold(p);
        if (folded.GroupInputs < 16)
        {
            return false;
        }

        int k = folded.Window.KernelH, alpha = WinogradConv.AlphaFor(k);
        long tiles = (long)p.N * ((p.OutH + WinogradConv.Tile4 - 1) / WinogradConv.Tile4) * ((p.OutW + WinogradConv.Tile4 - 1) / WinogradConv.Tile4);
        long positions = (long)p.N * p.OutH * p.OutW;
        long winograd = alpha * alpha * RoundUp(tiles, 6) * RoundUp(folded.GroupInputs, 8);
        long direct = RoundUp((long)p.GroupInputs * p.Window.KernelH * p.Window.KernelW, 2) * RoundUp(positions, 6);
        return winograd * 10 <= direct * 6;
    }

    /// <summary>The stride-1 geometry over z: C·S² channels, a 3×3 or 5×5 kernel, no padding, the same outputs.</summary>
    public static ConvParams Fold(ConvParams p)
    {
        var s = p.Window.StrideH;
        var k = FoldedTaps(p.Window.KernelH, s) <= 3 ? 3 : 5;
        return p with
        {
            C = p.C * s * s,
            H = p.OutH + k - 1,
            W = p.OutW + k - 1,
            Window = new Window2D(k, k, 1, 1, 0, 0, 0, 0, 1, 1),
        };
    }

    /// <summary>y = conv(x, w) + b (+ r) by the stride-1 form; <see cref="Supports"/> must hold.</summary>
    public void Run(float[] y, float[] x, CpuTensor w, float[]? b, float[]? r, ConvParams p, CpuWorkers workers, bool? fused = null)
    {
        if (!Supports(p))
        {
            throw new ArgumentException($"space-to-depth Winograd needs equal strides of 2 or more and a square undilated kernel 3 to 5 strides wide, got {p.Window}");
        }

        var folded = Fold(p);
        ScratchArrays.Grow(ref _z, (long)folded.N * folded.C * folded.H * folded.W);
        _gather.Set(_z, x, p, folded);
        workers.For(folded.N * folded.C, _gather);
        winograd.Run(y, _z, FoldedWeights(w, p, folded), b, r, folded, workers, WinogradConv.Tile4, fused);
    }

    private static int FoldedTaps(int kernel, int stride) => (kernel + stride - 1) / stride;

    private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>w′ (M, C/G·S², k, k) from w (M, C/G, K, K), zero where S·q + r falls past the kernel.</summary>
    private CpuTensor FoldedWeights(CpuTensor w, ConvParams p, ConvParams folded)
    {
        int s = p.Window.StrideH, k = folded.Window.KernelH, kernel = p.Window.KernelH, cg = p.GroupInputs, fcg = folded.GroupInputs;
        if (w.IsConstant && w.Derived is Folded cached && cached.Stride == s && cached.Kernel == k && cached.Groups == p.Groups)
        {
            return cached.Weights;
        }

        var shape = new TensorShape(p.M, fcg, k, k);
        CpuTensor target;
        if (w.IsConstant)
        {
            target = new CpuTensor(shape, new float[shape.Length]) { IsConstant = true };
        }
        else
        {
            // A trained weight changes between calls: refilled in one scratch tensor, made again only for another
            // shape (not constant, so Winograd transforms it again too).
            if (_scratchWeights is null || !_scratchWeights.Shape.Equals(shape))
            {
                _scratchWeights?.Dispose();
                _scratchWeights = new CpuTensor(shape, new float[shape.Length]);
            }

            target = _scratchWeights;
            target.Span.Clear();
        }

        var source = w.Data;
        var dest = target.Data;
        for (var m = 0; m < p.M; m++)
        {
            for (var c = 0; c < cg; c++)
            {
                for (var ky = 0; ky < kernel; ky++)
                {
                    for (var kx = 0; kx < kernel; kx++)
                    {
                        int qy = ky / s, ry = ky % s, qx = kx / s, rx = kx % s;
                        var fc = (((c * s) + ry) * s) + rx;
                        dest[((((m * fcg) + fc) * k) + qy) * k + qx] = source[((((m * cg) + c) * kernel) + ky) * kernel + kx];
                    }
                }
            }
        }

        if (w.IsConstant)
        {
            w.Derived = new Folded(target, s, k, p.Groups);
        }

        return target;
    }

    /// <summary>One plane of z: z[n, (c, ry, rx), i, j] = x[n, c, S·i + ry − padTop, S·j + rx − padLeft], 0 outside x.</summary>
    private sealed class GatherJob : IWorkItem
    {
        private float[] _z = [];
        private float[] _x = [];
        private ConvParams _p, _folded;

        public void Set(float[] z, float[] x, ConvParams p, ConvParams folded) => (_z, _x, _p, _folded) = (z, x, p, folded);

        public void Run(int item)
        {
            ConvParams p = _p, f = _folded;
            int s = p.Window.StrideH, fc = item % f.C, n = item / f.C;
            int c = fc / (s * s), ry = fc / s % s, rx = fc % s;
            var plane = _z.AsSpan(item * f.H * f.W, f.H * f.W);
            var source = _x.AsSpan((n * p.C + c) * p.H * p.W, p.H * p.W);

            // Columns j whose source column S·j + rx − padLeft lies in [0, W).
            var shift = rx - p.Window.PadLeft;
            var first = shift >= 0 ? 0 : (-shift + s - 1) / s;
            var end = Math.Min(f.W, p.W - shift <= 0 ? 0 : ((p.W - shift - 1) / s) + 1);
            for (var i = 0; i < f.H; i++)
            {
                var row = plane.Slice(i * f.W, f.W);
                var iy = (s * i) + ry - p.Window.PadTop;
                if (iy < 0 || iy >= p.H || end <= first)
                {
                    row.Clear();
                    continue;
                }

                row[..first].Clear();
                var input = source.Slice(iy * p.W, p.W);
                for (var j = first; j < end; j++)
                {
                    row[j] = input[(s * j) + shift];
                }

                row[end..].Clear();
            }
        }
    }
}
