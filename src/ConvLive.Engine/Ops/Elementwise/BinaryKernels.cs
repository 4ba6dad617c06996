// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU.Algorithms;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Broadcast binary kernels (grid-stride loops).</summary>
internal static partial class BinaryKernels
{
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

    /// <summary>Unravels output index <paramref name="e"/> over six padded axes and returns the element offsets
    /// into the A and B operands (their strides are 0 on broadcast axes).</summary>
    internal static (int A, int B) Offsets(int e, BroadcastArgs p)
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
}
