// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Layers;

/// <summary>Concat along an axis: each input is copied as Outer runs of (its axis size × Inner) elements.</summary>
internal sealed class ConcatLayer(int outer, int inner, int[] sizes, int total) : ILayer
{
    public static LayerPlan Create(LayerContext ctx)
    {
        ctx.OnlyAttributes("axis");
        var first = ctx.Shape(0);
        int axis;
        try
        {
            axis = TensorShape.NormaliseAxis(ctx.Attributes.Int("axis", ctx.Opset < 4 ? 1 : long.MinValue), first.Rank);
        }
        catch (ArgumentException e)
        {
            throw ctx.Invalid(e.Message);
        }

        var sizes = new int[ctx.InputCount];
        for (var i = 0; i < sizes.Length; i++)
        {
            var s = ctx.Shape(i);
            for (var d = 0; d < first.Rank; d++)
            {
                if (s.Rank != first.Rank || (d != axis && s[d] != first[d]))
                {
                    throw ctx.Invalid($"input {i} {s} does not match input 0 {first} outside axis {axis}");
                }
            }

            sizes[i] = s[axis];
        }

        var dims = first.Dims.ToArray();
        dims[axis] = sizes.Sum();
        return new LayerPlan(new ConcatLayer(first.Product(0, axis), first.Product(axis + 1, first.Rank), sizes, dims[axis]), [new(dims)]);
    }

    public void Run(IBackend backend, DeviceTensor?[] inputs, DeviceTensor[] outputs)
    {
        var offset = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            backend.CopyBlocks(outputs[0], offset * inner, total * inner, inputs[i]!, 0, sizes[i] * inner, outer, sizes[i] * inner);
            offset += sizes[i];
        }
    }

    public bool Differentiates(int input) => true;

    /// <summary>Each input's gradient is its slice of the output's gradient.</summary>
    public void Backward(IBackend backend, in Gradients g)
    {
        var offset = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            if (g.DInputs[i] is { } d)
            {
                backend.CopyBlocks(d, 0, sizes[i] * inner, g.DOutputs[0], offset * inner, total * inner, outer, sizes[i] * inner);
            }

            offset += sizes[i];
        }
    }
}

/// <summary>Split along an axis into given sizes (attribute before opset 13, input after; equal parts by default).</summary>
internal sealed class SplitLayer(int outer, int inner, int[] sizes, int total) : ILayer
{
    public static LayerPlan Create(LayerContext ctx)
    {
        ctx.OnlyAttributes("axis", "split", "num_outputs");
        var x = ctx.Shape(0);
        int axis;
        try
        {
            axis = TensorShape.NormaliseAxis(ctx.Attributes.Int("axis", 0), x.Rank);
        }
        catch (ArgumentException e)
        {
            throw ctx.Invalid(e.Message);
        }

        var count = ctx.Node.Outputs.Count;
        var given = ctx.Attributes.Ints("split") ?? (ctx.HasInput(1) ? ctx.Constant(1)?.Longs ?? throw ctx.Unsupported("a split input computed at run time") : null);
        int[] sizes;
        if (given is not null)
        {
            sizes = given.Select(v => checked((int)v)).ToArray();
        }
        else
        {
            var parts = (int)ctx.Attributes.Int("num_outputs", count);
            var each = (x[axis] + parts - 1) / parts;
            sizes = Enumerable.Range(0, parts).Select(i => Math.Max(0, Math.Min(each, x[axis] - (i * each)))).ToArray();
        }

        if (sizes.Length != count || sizes.Sum() != x[axis] || sizes.Any(s => s < 0))
        {
            throw ctx.Invalid($"split sizes [{string.Join(',', sizes)}] do not cut axis {axis} of {x} into {count} outputs");
        }

        var shapes = sizes.Select(s =>
        {
            var d = x.Dims.ToArray();
            d[axis] = s;
            return new TensorShape(d);
        }).ToArray();
        return new LayerPlan(new SplitLayer(x.Product(0, axis), x.Product(axis + 1, x.Rank), sizes, x[axis]), shapes);
    }

    public void Run(IBackend backend, DeviceTensor?[] inputs, DeviceTensor[] outputs)
    {
        var offset = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            backend.CopyBlocks(outputs[i], 0, sizes[i] * inner, inputs[0]!, offset * inner, total * inner, outer, sizes[i] * inner);
            offset += sizes[i];
        }
    }

    public bool Differentiates(int input) => input == 0;

    /// <summary>The input's gradient is the outputs' gradients laid back side by side.</summary>
    public void Backward(IBackend backend, in Gradients g)
    {
        var offset = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            backend.CopyBlocks(g.DInputs[0]!, offset * inner, total * inner, g.DOutputs[i], 0, sizes[i] * inner, outer, sizes[i] * inner);
            offset += sizes[i];
        }
    }
}
