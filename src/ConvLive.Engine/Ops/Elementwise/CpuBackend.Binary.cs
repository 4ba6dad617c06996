// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Numerics.Tensors;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Add, Sub, Mul and Div with broadcasting on the CPU; same-shape ones on the workers
/// (<see cref="ElementwiseJob"/>).</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Binary(DeviceTensor y, DeviceTensor a, DeviceTensor b, BinaryKind kind, BroadcastParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.SameShape)
        {
            var op = kind switch
            {
                BinaryKind.Add => ElementwiseJob.Op.Add,
                BinaryKind.Sub => ElementwiseJob.Op.Sub,
                BinaryKind.Mul => ElementwiseJob.Op.Mul,
                _ => ElementwiseJob.Op.Div,
            };
            if (a.Length != y.Length || b.Length != y.Length)
            {
                throw new ArgumentException($"a same-shape {kind} of {a.Shape} and {b.Shape} into {y.Shape}: the lengths differ");
            }

            _elementwise.Run(_workers, op, Cast(y).Data, Cast(a).Data, Cast(b).Data, y.Length);
            return;
        }

        Span<float> yd = Cast(y).Span, ad = Cast(a).Span, bd = Cast(b).Span;

        // General case: walk the output in row-major order, carrying per-axis offsets into a and b.
        var dims = p.OutDims;
        Span<int> index = stackalloc int[BroadcastParams.MaxRank];
        int ai = 0, bi = 0;
        var last = BroadcastParams.MaxRank - 1;
        for (var o = 0; o < yd.Length; o++)
        {
            float u = ad[ai], v = bd[bi];
            yd[o] = kind switch
            {
                BinaryKind.Add => u + v,
                BinaryKind.Sub => u - v,
                BinaryKind.Mul => u * v,
                _ => u / v,
            };
            for (var axis = last; axis >= 0; axis--)
            {
                ai += p.AStrides[axis];
                bi += p.BStrides[axis];
                if (++index[axis] < dims[axis])
                {
                    break;
                }

                ai -= p.AStrides[axis] * dims[axis];
                bi -= p.BStrides[axis] * dims[axis];
                index[axis] = 0;
            }
        }
    }
}
