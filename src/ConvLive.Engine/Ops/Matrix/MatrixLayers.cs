// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Layers;

/// <summary>Gemm: Y = alpha·op(A)·op(B) + beta·C.</summary>
internal sealed class GemmLayer(GemmParams p, TensorShape? cShape) : ILayer
{
    public static LayerPlan Create(LayerContext ctx)
    {
        ctx.OnlyAttributes("alpha", "beta", "transA", "transB", "broadcast");
        TensorShape a = ctx.Shape(0), b = ctx.Shape(1);
        if (a.Rank != 2 || b.Rank != 2)
        {
            throw ctx.Invalid($"A {a} and B {b} must both be matrices");
        }

        bool ta = ctx.Attributes.Int("transA", 0) != 0, tb = ctx.Attributes.Int("transB", 0) != 0;
        int m = ta ? a[1] : a[0], k = ta ? a[0] : a[1], kb = tb ? b[1] : b[0], n = tb ? b[0] : b[1];
        if (k != kb)
        {
            throw ctx.Invalid($"op(A) is {m}x{k} but op(B) is {kb}x{n}: inner sizes differ");
        }

        var bias = BiasLayout.None;
        if (ctx.HasInput(2))
        {
            var c = ctx.Shape(2);
            bias = c.Length == 1 ? BiasLayout.Scalar
                : (c.Rank == 1 && c[0] == n) || (c.Rank == 2 && c[0] == 1 && c[1] == n) ? BiasLayout.Row
                : c.Rank == 2 && c[0] == m && c[1] == 1 ? BiasLayout.Column
                : c.Rank == 2 && c[0] == m && c[1] == n ? BiasLayout.Full
                : throw ctx.Invalid($"C {c} does not broadcast to ({m},{n})");
        }

        var p = new GemmParams(m, n, k, ta, tb, ctx.Attributes.Float("alpha", 1f), ctx.Attributes.Float("beta", 1f), bias);
        return new LayerPlan(new GemmLayer(p, ctx.HasInput(2) ? ctx.Shape(2) : null), [new(m, n)]);
    }

    public void Run(IBackend backend, DeviceTensor?[] inputs, DeviceTensor[] outputs) =>
        backend.Gemm(outputs[0], inputs[0]!, inputs[1]!, inputs.Length > 2 ? inputs[2] : null, p);

    public bool Differentiates(int input) => input <= 2;

    /// <summary>Three Gemm calls with the transposes rearranged: dop(A) = alpha·dY·op(B)ᵀ, dop(B) = alpha·op(A)ᵀ·dY,
    /// dC = beta·dY summed back to C's shape.</summary>
    public void Backward(IBackend backend, in Gradients g)
    {
        var dy = g.DOutputs[0];
        DeviceTensor a = g.Inputs[0]!, b = g.Inputs[1]!;
        if (g.DInputs[0] is { } da)
        {
            backend.Gemm(da, p.TransA ? b : dy, p.TransA ? dy : b, null, p.TransA
                ? new GemmParams(p.K, p.M, p.N, p.TransB, true, p.Alpha, 0f, BiasLayout.None)
                : new GemmParams(p.M, p.K, p.N, false, !p.TransB, p.Alpha, 0f, BiasLayout.None));
        }

        if (g.DInputs[1] is { } db)
        {
            backend.Gemm(db, p.TransB ? dy : a, p.TransB ? a : dy, null, p.TransB
                ? new GemmParams(p.N, p.K, p.M, true, p.TransA, p.Alpha, 0f, BiasLayout.None)
                : new GemmParams(p.K, p.N, p.M, !p.TransA, false, p.Alpha, 0f, BiasLayout.None));
        }

        if (g.DInputs.Length > 2 && g.DInputs[2] is { } dc && cShape is not null)
        {
            backend.BinaryBackward(dc, dy, dy, dy, BinaryKind.Add, BroadcastParams.Create(dy.Shape, cShape), 1, p.Beta);
        }
    }
}

/// <summary>MatMul of ranks 2 to 4 with broadcast batch dimensions (NumPy semantics, no 1-D operands).</summary>
internal sealed class MatMulLayer(MatMulParams p) : ILayer
{
    public static LayerPlan Create(LayerContext ctx)
    {
        ctx.OnlyAttributes();
        TensorShape a = ctx.Shape(0), b = ctx.Shape(1);
        if (a.Rank < 2 || b.Rank < 2 || a.Rank > 4 || b.Rank > 4)
        {
            throw ctx.Unsupported($"MatMul of ranks {a.Rank} and {b.Rank} (2-D to 4-D only)");
        }

        if (b[-2] != a[-1])
        {
            throw ctx.Invalid($"A {a} and B {b}: inner sizes {a[-1]} and {b[-2]} differ");
        }

        MatMulParams p;
        try
        {
            p = Plan(a, b);
        }
        catch (ArgumentException e)
        {
            throw ctx.Invalid(e.Message);
        }

        return new LayerPlan(new MatMulLayer(p), [p.OutputShape]);
    }

    /// <summary>The batch offsets of A (…,M,K) times B (…,K,N), batch dimensions broadcast.</summary>
    /// <exception cref="ArgumentException">The batch dimensions do not broadcast.</exception>
    internal static MatMulParams Plan(TensorShape a, TensorShape b)
    {
        int m = a[-2], k = a[-1], n = b[-1];
        var batch = BroadcastParams.Create(new TensorShape(a.Dims[..^2]), new TensorShape(b.Dims[..^2]));
        var count = batch.Output.Length;
        int[] aOffsets = new int[count], bOffsets = new int[count];
        for (var i = 0; i < count; i++)
        {
            int rest = i, ai = 0, bi = 0;
            for (var axis = BroadcastParams.MaxRank - 1; axis >= 0; axis--)
            {
                var idx = rest % batch.OutDims[axis];
                rest /= batch.OutDims[axis];
                ai += idx * batch.AStrides[axis];
                bi += idx * batch.BStrides[axis];
            }

            aOffsets[i] = ai * m * k;
            bOffsets[i] = bi * k * n;
        }

        var outShape = new TensorShape([.. batch.Output.Dims, m, n]);
        return new MatMulParams(count, m, n, k, aOffsets, bOffsets, outShape);
    }

    public void Run(IBackend backend, DeviceTensor?[] inputs, DeviceTensor[] outputs) => backend.MatMul(outputs[0], inputs[0]!, inputs[1]!, p);

    public bool Differentiates(int input) => input <= 1;

    public void Backward(IBackend backend, in Gradients g) => backend.MatMulBackward(g.DInputs[0], g.DInputs[1], g.DOutputs[0], g.Inputs[0]!, g.Inputs[1]!, p);
}
