// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Add/Sub/Mul/Div backward on the CPU: element-wise when nothing was broadcast, else every output's
/// gradient added into the operand element it came from.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void BinaryBackward(DeviceTensor d, DeviceTensor dy, DeviceTensor a, DeviceTensor b, BinaryKind kind, BroadcastParams p, int operand, float scale)
    {
        ArgumentNullException.ThrowIfNull(p);
        float[] dd = Cast(d).Data, dyd = Cast(dy).Data, ad = Cast(a).Data, bd = Cast(b).Data;
        int[] dims = p.OutDims, self = operand == 0 ? p.AStrides : p.BStrides, sa = p.AStrides, sb = p.BStrides;
        var total = p.Output.Length;
        if (p.SameShape && kind is BinaryKind.Add or BinaryKind.Sub or BinaryKind.Mul)
        {
            // Nothing broadcast (a residual Add): whole-array vector operations.
            var g = dyd.AsSpan(0, total);
            var result = dd.AsSpan(0, total);
            var factor = kind == BinaryKind.Sub && operand == 1 ? -scale : scale;
            if (kind == BinaryKind.Mul)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(g, (operand == 0 ? bd : ad).AsSpan(0, total), result);
                System.Numerics.Tensors.TensorPrimitives.Multiply(result, scale, result);
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(g, factor, result);
            }

            return;
        }

        if (d.Length == total && IsDense(self, dims))
        {
            _workers.For(Math.Max(1, Math.Min(total / 4096, 64)), band =>
            {
                var bands = Math.Max(1, Math.Min(total / 4096, 64));
                int start = (int)((long)total * band / bands), end = (int)((long)total * (band + 1) / bands);
                var index = new int[BroadcastParams.MaxRank];
                for (var o = start; o < end; o++)
                {
                    Unravel(o, dims, index);
                    dd[o] = scale * BinaryGradient(kind, operand, dyd[o], ad[Offset(index, sa)], bd[Offset(index, sb)]);
                }
            });
            return;
        }

        Array.Clear(dd, 0, d.Length);
        var at = new int[BroadcastParams.MaxRank];
        for (var o = 0; o < total; o++)
        {
            Unravel(o, dims, at);
            dd[Offset(at, self)] += scale * BinaryGradient(kind, operand, dyd[o], ad[Offset(at, sa)], bd[Offset(at, sb)]);
        }
    }

    /// <summary>∂(a ∘ b)/∂operand times g.</summary>
    internal static float BinaryGradient(BinaryKind kind, int operand, float g, float a, float b) => kind switch
    {
        BinaryKind.Add => g,
        BinaryKind.Sub => operand == 0 ? g : -g,
        BinaryKind.Mul => operand == 0 ? g * b : g * a,
        _ => operand == 0 ? g / b : -g * a / (b * b),
    };

    private static bool IsDense(int[] strides, int[] dims)
    {
        var expected = 1;
        for (var i = dims.Length - 1; i >= 0; i--)
        {
            if (dims[i] != 1 && strides[i] != expected)
            {
                return false;
            }

            expected *= dims[i];
        }

        return true;
    }

    private static void Unravel(int o, int[] dims, int[] index)
    {
        for (var i = dims.Length - 1; i >= 0; i--)
        {
            index[i] = o % dims[i];
            o /= dims[i];
        }
    }

    private static int Offset(int[] index, int[] strides)
    {
        var at = 0;
        for (var i = 0; i < index.Length; i++)
        {
            at += index[i] * strides[i];
        }

        return at;
    }
}
