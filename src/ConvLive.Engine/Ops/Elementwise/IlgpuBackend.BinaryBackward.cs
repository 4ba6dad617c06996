// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Add/Sub/Mul/Div backward on an ILGPU device: one thread per operand element sums the output gradients
/// of every position it was broadcast to.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastArgs, BinaryGradArgs, int> _binaryBackward = null!;

    /// <inheritdoc/>
    public void BinaryBackward(DeviceTensor d, DeviceTensor dy, DeviceTensor a, DeviceTensor b, BinaryKind kind, BroadcastParams p, int operand, float scale)
    {
        ArgumentNullException.ThrowIfNull(p);
        int[] dims = p.OutDims, sa = p.AStrides, sb = p.BStrides;
        var args = new BroadcastArgs(dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], sa[0], sa[1], sa[2], sa[3], sa[4], sa[5], sb[0], sb[1], sb[2], sb[3], sb[4], sb[5], (int)kind);
        _binaryBackward(_stream, Launch(d.Length), Cast(dy).View, Cast(a).View, Cast(b).View, Cast(d).View, args, new BinaryGradArgs(operand, scale), Launch(d.Length));
    }

    private void LoadBinaryBackward() =>
        _binaryBackward = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BroadcastArgs, BinaryGradArgs, int>(BinaryKernels.Backward));
}

/// <summary>Which operand a binary op's backward differentiates, and a factor on the result.</summary>
internal readonly record struct BinaryGradArgs(int Operand, float Scale);

/// <summary>The binary ops' backward kernel over the six broadcast axes.</summary>
internal static partial class BinaryKernels
{
    /// <summary>d[e] = scale·Σ ∂(a ∘ b)/∂operand·dy over the outputs that read operand element e.</summary>
    public static void Backward(Index1D index, ArrayView<float> dy, ArrayView<float> a, ArrayView<float> b, ArrayView<float> d, BroadcastArgs p, BinaryGradArgs g, int stride)
    {
        // The operand's own strides; 0 marks an axis it was broadcast along.
        int s0 = g.Operand == 0 ? p.A0 : p.B0, s1 = g.Operand == 0 ? p.A1 : p.B1, s2 = g.Operand == 0 ? p.A2 : p.B2;
        int s3 = g.Operand == 0 ? p.A3 : p.B3, s4 = g.Operand == 0 ? p.A4 : p.B4, s5 = g.Operand == 0 ? p.A5 : p.B5;
        var repeats = Free(s0, p.D0) * Free(s1, p.D1) * Free(s2, p.D2) * Free(s3, p.D3) * Free(s4, p.D4) * Free(s5, p.D5);
        for (var e = (int)index; e < d.IntLength; e += stride)
        {
            int i0 = Own(e, s0, p.D0), i1 = Own(e, s1, p.D1), i2 = Own(e, s2, p.D2), i3 = Own(e, s3, p.D3), i4 = Own(e, s4, p.D4), i5 = Own(e, s5, p.D5);
            var sum = 0f;
            for (var r = 0; r < repeats; r++)
            {
                var rest = r;
                var j5 = Pick(ref rest, s5, p.D5, i5);
                var j4 = Pick(ref rest, s4, p.D4, i4);
                var j3 = Pick(ref rest, s3, p.D3, i3);
                var j2 = Pick(ref rest, s2, p.D2, i2);
                var j1 = Pick(ref rest, s1, p.D1, i1);
                var j0 = Pick(ref rest, s0, p.D0, i0);
                var o = (((((((((j0 * p.D1) + j1) * p.D2) + j2) * p.D3) + j3) * p.D4) + j4) * p.D5) + j5;
                var av = a[(j0 * p.A0) + (j1 * p.A1) + (j2 * p.A2) + (j3 * p.A3) + (j4 * p.A4) + (j5 * p.A5)];
                var bv = b[(j0 * p.B0) + (j1 * p.B1) + (j2 * p.B2) + (j3 * p.B3) + (j4 * p.B4) + (j5 * p.B5)];
                var gy = dy[o];
                sum += p.Kind == 0 ? gy
                    : p.Kind == 1 ? (g.Operand == 0 ? gy : -gy)
                    : p.Kind == 2 ? (g.Operand == 0 ? gy * bv : gy * av)
                    : g.Operand == 0 ? gy / bv : -gy * av / (bv * bv);
            }

            d[e] = g.Scale * sum;
        }
    }

    private static int Free(int stride, int dim) => stride == 0 ? dim : 1;

    private static int Own(int e, int stride, int dim) => stride == 0 ? 0 : (e / stride) % dim;

    private static int Pick(ref int rest, int stride, int dim, int own)
    {
        if (stride != 0)
        {
            return own;
        }

        var j = rest % dim;
        rest /= dim;
        return j;
    }
}
