// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Layers;

/// <summary>Add, Sub, Mul, Div and the variadic Sum, with NumPy broadcasting.</summary>
internal sealed class BinaryLayer(BinaryKind kind, BroadcastParams[] steps) : ILayer
{
    public static LayerPlan Create(LayerContext ctx)
    {
        ctx.OnlyAttributes();
        var kind = ctx.Node.OpType switch
        {
            "Sub" => BinaryKind.Sub,
            "Mul" => BinaryKind.Mul,
            "Div" => BinaryKind.Div,
            _ => BinaryKind.Add,
        };
        if (ctx.InputCount < 1 || (ctx.Node.OpType != "Sum" && ctx.InputCount != 2))
        {
            throw ctx.Invalid($"{ctx.InputCount} inputs");
        }

        // Sum folds left: ((a + b) + c) + …; the output is broadcast against each next input.
        var steps = new List<BroadcastParams>();
        var shape = ctx.Shape(0);
        for (var i = 1; i < ctx.InputCount; i++)
        {
            try
            {
                steps.Add(BroadcastParams.Create(shape, ctx.Shape(i)));
            }
            catch (ArgumentException e)
            {
                throw ctx.Invalid(e.Message);
            }

            shape = steps[^1].Output;
        }

        if (steps.Count > 1 && !steps[0].Output.Equals(shape))
        {
            throw ctx.Unsupported($"a Sum whose later inputs widen the shape beyond {steps[0].Output}");
        }

        return steps.Count == 0
            ? new LayerPlan(null, [ctx.Shape(0)], ViewOf: 0)
            : new LayerPlan(new BinaryLayer(kind, [.. steps]), [shape]);
    }

    public bool Differentiates(int input) => true;

    /// <summary>Input 0 is step 0's left operand; input i ≥ 1 is step i−1's right operand (Sum folds left, all Adds).</summary>
    public void Backward(IBackend backend, in Gradients g)
    {
        for (var i = 0; i < g.DInputs.Length; i++)
        {
            if (g.DInputs[i] is not { } d)
            {
                continue;
            }

            var step = steps[Math.Max(0, i - 1)];

            // Add and Sub read no operand: dy stands in (it covers every index either stride can form).
            var reads = kind is BinaryKind.Mul or BinaryKind.Div;
            DeviceTensor a = reads ? g.Inputs[0]! : g.DOutputs[0], b = reads ? g.Inputs[1]! : g.DOutputs[0];
            backend.BinaryBackward(d, g.DOutputs[0], a, b, kind, step, i == 0 ? 0 : 1, 1f);
        }
    }

    public void Run(IBackend backend, DeviceTensor?[] inputs, DeviceTensor[] outputs)
    {
        backend.Binary(outputs[0], inputs[0]!, inputs[1]!, kind, steps[0]);
        for (var i = 1; i < steps.Length; i++)
        {
            // Accumulating in place is safe: each output element reads only its own element of the output.
            backend.Binary(outputs[0], outputs[0], inputs[i + 1]!, kind, steps[i]);
        }
    }
}
