// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Convolution: direct for few outputs per group, Winograd F(4×4, 3×3), F(2×2, 3×3) or F(4×4, 5×5) for wide
/// stride-1 layers, and F(4×4) on the space-to-depth form of strided layers over few channels
/// (<see cref="SpaceToDepthConv"/>), where it was timed faster on this machine (<see cref="ConvChoices"/>), else
/// <see cref="WindowConv"/> (GEMM on the input in place, no im2col; copied into zero-padded planes where the layer
/// pads).</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Conv(DeviceTensor y, DeviceTensor x, DeviceTensor w, DeviceTensor? b, ConvParams p, DeviceTensor? residual = null)
    {
        float[] yd = Cast(y).Data, xd = Cast(x).Data, wd = Cast(w).Data;
        if (ReferenceEquals(yd, xd))
        {
            throw new ArgumentException($"a convolution's output must be a tensor other than its input ({x.Shape}): the input is read while outputs are stored");
        }

        var bd = b is null ? null : Cast(b).Data;
        var rd = Residual(y, residual);
        var win = p.Window;
        int cg = p.GroupInputs, mg = p.GroupOutputs, kk = cg * win.KernelH * win.KernelW;
        if (mg <= DirectConvMaxOutputs && kk <= DirectConvMaxTaps)
        {
            // Few outputs per group (the lecture's one-channel filters, depthwise layers): a 16-channel GEMM panel would
            // be mostly zeros. Accumulate shifted input rows instead, a row per work item.
            _direct.Set(yd, xd, wd, bd, rd, p);
            _workers.For(p.N * p.M * p.OutH, _direct);
            return;
        }

        var plan = ConvAlgorithm switch
        {
            ConvAlgorithm.Winograd or ConvAlgorithm.Winograd2x2 when SpaceToDepthConv.Supports(p) => ConvPlan.Folded,
            ConvAlgorithm.Winograd when WinogradConv.Supports(p) => new ConvPlan(WinogradConv.Tile4, null),
            ConvAlgorithm.Winograd2x2 when WinogradConv.Supports(p) => new ConvPlan(WinogradConv.SupportsTile2(p) ? 2 : WinogradConv.Tile4, null),
            ConvAlgorithm.Auto when WinogradConv.Pays(p) || SpaceToDepthConv.Pays(p) => ChoosePlan(yd, xd, w, bd, rd, p),
            _ => ConvPlan.Direct,
        };
        if (plan.SpaceToDepth && SpaceToDepthConv.Supports(p))
        {
            // A strided layer over few channels (AlexNet's conv1) as a stride-1 3×3 or 5×5 over its space-to-depth
            // rearrangement, by Winograd.
            _spaceToDepth.Run(yd, xd, Cast(w), bd, rd, p, _workers, plan.Fused);
            return;
        }

        if (plan.Tile > 0 && !plan.SpaceToDepth && WinogradConv.Supports(p))
        {
            // 3×3 stride 1: 36 multiply-adds per 4×4 output tile and channel pair instead of 144 (16 per 2×2 instead of 36).
            _winograd.Run(yd, xd, Cast(w), bd, rd, p, _workers, plan.Tile, plan.Fused);
            return;
        }

        // Everything else: a GEMM that reads the (padded) input in place (no im2col), weights packed once.
        _window.Run(yd, xd, Cast(w), bd, rd, p, _workers);
    }

    /// <summary>The residual's data, checked against y (same shape, not y itself), or null.</summary>
    private static float[]? Residual(DeviceTensor y, DeviceTensor? residual)
    {
        if (residual is null)
        {
            return null;
        }

        if (!residual.Shape.Equals(y.Shape) || ReferenceEquals(Cast(residual).Data, Cast(y).Data))
        {
            throw new ArgumentException($"a convolution's residual must be a tensor of its output's shape {y.Shape} other than the output, got {residual.Shape}");
        }

        return Cast(residual).Data;
    }

    /// <summary>How <see cref="ConvAlgorithm.Auto"/> runs <paramref name="p"/>, as timed here (the first time, each
    /// candidate runs into y before the choice is made; the caller then runs the chosen one).</summary>
    private ConvPlan ChoosePlan(float[] yd, float[] xd, DeviceTensor w, float[]? bd, float[]? rd, ConvParams p) =>
        _convChoices.TryGet(p, out var plan) ? plan : TimeEach(yd, xd, w, bd, rd, p);

    /// <summary>The first time only (the closures are made here, not on every call): the direct GEMM and each
    /// Winograd form that may pay (the tiles a stride-1 kernel allows, or a strided layer's space-to-depth form), fused or as four passes by <see cref="WinogradConv"/>'s rule (timed alone,
    /// the two forms differ by a few percent and the faster alone was the slower in a forward; see
    /// <see cref="WinogradConv.Run"/>). A weight tensor keeps one derived form, and the candidates are timed in two
    /// sweeps or more (<see cref="ConvChoices.TimeCandidates"/>): each candidate's packed or transformed weights are kept here
    /// between its turns, so none is packed twice, and the chosen one's stay on the tensor.</summary>
    private ConvPlan TimeEach(float[] yd, float[] xd, DeviceTensor w, float[]? bd, float[]? rd, ConvParams p)
    {
        var tensor = Cast(w);
        List<ConvPlan> plans = [ConvPlan.Direct];
        if (WinogradConv.Pays(p))
        {
            plans.Add(new ConvPlan(WinogradConv.Tile4, null));
            if (WinogradConv.SupportsTile2(p))
            {
                plans.Add(new ConvPlan(2, null));
            }
        }

        if (SpaceToDepthConv.Pays(p))
        {
            plans.Add(ConvPlan.Folded);
        }

        var kept = new object?[plans.Count];
        var candidates = new List<(ConvPlan, Action)>();
        for (var i = 0; i < plans.Count; i++)
        {
            var (slot, plan) = (i, plans[i]);
            candidates.Add((plan, () =>
            {
                tensor.Derived = kept[slot];
                if (plan.SpaceToDepth)
                {
                    _spaceToDepth.Run(yd, xd, tensor, bd, rd, p, _workers);
                }
                else if (plan.Tile == 0)
                {
                    _window.Run(yd, xd, tensor, bd, rd, p, _workers);
                }
                else
                {
                    _winograd.Run(yd, xd, tensor, bd, rd, p, _workers, plan.Tile);
                }

                kept[slot] = tensor.Derived;
            }));
        }

        var chosen = _convChoices.Time(p, candidates);
        var index = plans.IndexOf(chosen);
        tensor.Derived = index >= 0 ? kept[index] : null;
        return chosen;
    }

    private const int DirectConvMaxOutputs = 4;
    private const int DirectConvMaxTaps = 256;

    /// <summary>Direct convolution of one output row: y[n,m,oy,:] = b[m] + Σ_c,ky,kx w·x[n,c,iy,ox·S − P + kx]
    /// (+ the residual's row).</summary>
    private sealed class DirectConvJob : IWorkItem
    {
        private float[] _y = [];
        private float[] _x = [];
        private float[] _w = [];
        private float[]? _b;
        private float[]? _r;
        private ConvParams _p;

        public void Set(float[] y, float[] x, float[] w, float[]? b, float[]? r, ConvParams p) => (_y, _x, _w, _b, _r, _p) = (y, x, w, b, r, p);

        public void Run(int item)
        {
            var p = _p;
            var win = p.Window;
            var oy = item % p.OutH;
            var m = (item / p.OutH) % p.M;
            var n = item / (p.OutH * p.M);
            int cg = p.GroupInputs, g = m / p.GroupOutputs;
            var start = (((n * p.M) + m) * p.OutH + oy) * p.OutW;
            var row = _y.AsSpan(start, p.OutW);
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

            if (_r is not null)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(row, _r.AsSpan(start, p.OutW), row);
            }

            if (p.Relu)
            {
                System.Numerics.Tensors.TensorPrimitives.Max(row, 0f, row);
            }
        }
    }
}
