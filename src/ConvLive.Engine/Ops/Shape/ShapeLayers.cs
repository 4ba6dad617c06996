// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Graph;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Layers;

/// <summary>Ops that only reinterpret a shape (views, no work) or yield values at compile time.</summary>
internal static class ShapeLayers
{
    /// <summary>Flatten: (d0…d(axis−1)) × (d(axis)…) as a matrix.</summary>
    public static LayerPlan Flatten(LayerContext ctx)
    {
        ctx.OnlyAttributes("axis");
        var x = ctx.Shape(0);
        var axis = ctx.Attributes.Int("axis", 1);
        var a = axis < 0 ? axis + x.Rank : axis;
        if (a < 0 || a > x.Rank)
        {
            throw ctx.Invalid($"axis {axis} is out of range for {x}");
        }

        return new LayerPlan(null, [new(x.Product(0, (int)a), x.Product((int)a, x.Rank))], ViewOf: 0);
    }

    /// <summary>Reshape with a shape known at compile time: 0 copies a dimension (unless allowzero), −1 is inferred.</summary>
    public static LayerPlan Reshape(LayerContext ctx)
    {
        ctx.OnlyAttributes("allowzero", "shape");
        var x = ctx.Shape(0);
        var requested = ctx.Opset < 5
            ? ctx.Attributes.Ints("shape") ?? throw ctx.Invalid("the shape attribute is missing")
            : ctx.Constant(1)?.Longs ?? throw ctx.Unsupported("a shape input computed at run time (it must be an initializer or constant)");
        var allowZero = ctx.Attributes.Int("allowzero", 0) != 0;
        var dims = new int[requested.Length];
        var infer = -1;
        long known = 1;
        for (var i = 0; i < dims.Length; i++)
        {
            var d = requested[i];
            if (d == -1)
            {
                if (infer >= 0)
                {
                    throw ctx.Invalid("more than one -1 in the shape");
                }

                infer = i;
                continue;
            }

            if (d == 0 && !allowZero)
            {
                d = i < x.Rank ? x[i] : throw ctx.Invalid($"shape dimension {i} is 0 but the input {x} has no dimension {i} to copy");
            }

            if (d < 0 || d > int.MaxValue)
            {
                throw ctx.Invalid($"shape dimension {i} = {d}");
            }

            dims[i] = (int)d;
            known *= d;
        }

        if (infer >= 0)
        {
            if (known == 0 || x.Length % known != 0)
            {
                throw ctx.Invalid($"cannot infer -1: {x.Length} elements do not divide by {known}");
            }

            dims[infer] = (int)(x.Length / known);
        }

        var shape = new TensorShape(dims);
        return shape.Length == x.Length
            ? new LayerPlan(null, [shape], ViewOf: 0)
            : throw ctx.Invalid($"cannot reshape {x} ({x.Length} elements) to {shape} ({shape.Length} elements)");
    }

    /// <summary>Squeeze and Unsqueeze: axes from the attribute (before opset 13) or a constant input.</summary>
    public static LayerPlan SqueezeOrUnsqueeze(LayerContext ctx)
    {
        ctx.OnlyAttributes("axes");
        var x = ctx.Shape(0);
        var axes = ctx.Attributes.Ints("axes") ?? (ctx.HasInput(1) ? ctx.Constant(1)?.Longs ?? throw ctx.Unsupported("axes computed at run time") : null);
        var dims = x.Dims.ToArray().ToList();
        try
        {
            if (ctx.Node.OpType == "Unsqueeze")
            {
                var rank = x.Rank + (axes?.Length ?? 0);
                foreach (var a in (axes ?? []).Select(a => TensorShape.NormaliseAxis(a, rank)).Order())
                {
                    dims.Insert(a, 1);
                }
            }
            else
            {
                var remove = axes is null
                    ? Enumerable.Range(0, x.Rank).Where(i => x[i] == 1).ToHashSet()
                    : axes.Select(a => TensorShape.NormaliseAxis(a, x.Rank)).ToHashSet();
                if (remove.Any(i => x[i] != 1))
                {
                    throw ctx.Invalid($"cannot squeeze an axis of size other than 1 from {x}");
                }

                dims = dims.Where((_, i) => !remove.Contains(i)).ToList();
            }
        }
        catch (ArgumentException e)
        {
            throw ctx.Invalid(e.Message);
        }

        return new LayerPlan(null, [new TensorShape([.. dims])], ViewOf: 0);
    }

    /// <summary>Identity, and Dropout at inference (identity, with an all-true mask when asked for).</summary>
    public static LayerPlan Identity(LayerContext ctx)
    {
        var x = ctx.Shape(0);
        if (ctx.Node.OpType != "Dropout")
        {
            ctx.OnlyAttributes();
            return new LayerPlan(null, [x], ViewOf: 0);
        }

        ctx.OnlyAttributes("is_test", "ratio", "seed");
        if (ctx.HasInput(2))
        {
            var training = ctx.Constant(2)?.Bools ?? throw ctx.Unsupported("a training_mode input computed at run time");
            if (training.Length > 0 && training[0])
            {
                throw ctx.Unsupported("training_mode = true (random dropout)");
            }
        }

        var wantsMask = ctx.Node.Outputs.Count > 1 && ctx.Node.Outputs[1].Length > 0;
        HostValue?[]? host = wantsMask ? [null, HostValue.Of(x, Enumerable.Repeat(true, x.Length).ToArray())] : null;
        return new LayerPlan(null, wantsMask ? [x, x] : [x], ViewOf: 0, HostOutputs: host);
    }

    /// <summary>Constant: its value attribute (a tensor, or value_float(s) / value_int(s)).</summary>
    public static LayerPlan Constant(LayerContext ctx)
    {
        var a = ctx.Attributes;
        HostValue value;
        if (a.Tensor("value") is { } t)
        {
            value = t;
        }
        else if (a.Raw("value_float") is float f)
        {
            value = HostValue.Of(new TensorShape(), [f]);
        }
        else if (a.Raw("value_floats") is float[] fs)
        {
            value = HostValue.Of(new TensorShape(fs.Length), fs);
        }
        else if (a.Raw("value_int") is long l)
        {
            value = HostValue.Of(new TensorShape(), [l]);
        }
        else if (a.Raw("value_ints") is long[] ls)
        {
            value = HostValue.Of(new TensorShape(ls.Length), ls);
        }
        else
        {
            throw ctx.Unsupported($"a Constant with attributes {string.Join(", ", a.Names)}");
        }

        return new LayerPlan(null, [value.Shape], HostOutputs: [value]);
    }
}
