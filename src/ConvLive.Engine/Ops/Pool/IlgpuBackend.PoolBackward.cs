// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Pooling's backward on an ILGPU device: one thread per input element gathers from the windows that hold it.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, PoolArgs, int> _poolBackward = null!;

    /// <inheritdoc/>
    public void PoolBackward(DeviceTensor dx, DeviceTensor dy, DeviceTensor x, DeviceTensor y, PoolParams p)
    {
        var w = p.Window;
        var args = new PoolArgs((int)p.Kind, p.H, p.W, w.KernelH, w.KernelW, w.StrideH, w.StrideW, w.PadTop, w.PadLeft, w.PadBottom, w.PadRight, w.DilationH, w.DilationW, p.OutH, p.OutW, p.CountIncludePad ? 1 : 0);
        _poolBackward(_stream, Launch(dx.Length), Cast(dy).View, Cast(x).View, Cast(y).View, Cast(dx).View, args, Launch(dx.Length));
    }

    private void LoadPoolBackward() =>
        _poolBackward = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, PoolArgs, int>(PoolKernels.Backward));
}

/// <summary>Pooling's backward kernel.</summary>
internal static partial class PoolKernels
{
    /// <summary>dx[plane,iy,ix] = Σ over the windows holding it: dy if it is the window's first maximum (max),
    /// dy/divisor (average), dy·x/y (L2).</summary>
    public static void Backward(Index1D index, ArrayView<float> dy, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dx, PoolArgs p, int stride)
    {
        for (var e = (int)index; e < dx.IntLength; e += stride)
        {
            var ix = e % p.W;
            var iy = (e / p.W) % p.H;
            var plane = e / (p.W * p.H);
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

                    var o = (((plane * p.OH) + oy) * p.OW) + ox;
                    if (p.Kind == 0)
                    {
                        if (ArgMax(x, p, plane, oy, ox) == e)
                        {
                            sum += dy[o];
                        }
                    }
                    else if (p.Kind == 2)
                    {
                        sum += y[o] > 0f ? dy[o] * x[e] / y[o] : 0f;
                    }
                    else
                    {
                        sum += dy[o] / Divisor(p, oy, ox);
                    }
                }
            }

            dx[e] = sum;
        }
    }

    private static int ArgMax(ArrayView<float> x, PoolArgs p, int plane, int oy, int ox)
    {
        var best = -1;
        for (var i = 0; i < p.KH; i++)
        {
            var iy = (oy * p.SH) - p.PT + (i * p.DH);
            for (var j = 0; j < p.KW; j++)
            {
                var ix = (ox * p.SW) - p.PL + (j * p.DW);
                if (iy >= 0 && iy < p.H && ix >= 0 && ix < p.W)
                {
                    var at = (((plane * p.H) + iy) * p.W) + ix;
                    if (best < 0 || x[at] > x[best])
                    {
                        best = at;
                    }
                }
            }
        }

        return best;
    }

    private static int Divisor(PoolArgs p, int oy, int ox)
    {
        var count = 0;
        for (var i = 0; i < p.KH; i++)
        {
            var iy = (oy * p.SH) - p.PT + (i * p.DH);
            for (var j = 0; j < p.KW; j++)
            {
                var ix = (ox * p.SW) - p.PL + (j * p.DW);
                var inside = p.IncludePad != 0 ? iy < p.H + p.PB && ix < p.W + p.PR : iy >= 0 && iy < p.H && ix >= 0 && ix < p.W;
                count += inside ? 1 : 0;
            }
        }

        return count > 0 ? count : 1;
    }
}
