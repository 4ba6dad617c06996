// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Layers;

/// <summary>Conv: 2-D, with groups, strides, pads (asymmetric or auto_pad), dilations and an optional bias; the
/// fused forms <see cref="Graph.GraphFusion"/> makes add a residual (input 3) and/or a Relu in the same store.</summary>
internal sealed class ConvLayer(ConvParams p, bool residual = false) : ILayer
{
    /// <summary>The input a fused residual Add's other operand comes in on (after x, w and the optional bias).</summary>
    public const int ResidualInput = 3;

    public ConvParams Params { get; } = p;

    /// <summary>Conv.</summary>
    public static LayerPlan Create(LayerContext ctx) => Create(ctx, relu: false, residual: false);

    /// <summary>Conv followed by Relu in one pass: the op <see cref="Graph.GraphFusion"/> makes of the pair.</summary>
    public static LayerPlan CreateWithRelu(LayerContext ctx) => Create(ctx, relu: true, residual: false);

    /// <summary>Conv followed by an Add of a same-shape value (a residual block's skip), in one pass.</summary>
    public static LayerPlan CreateWithAdd(LayerContext ctx) => Create(ctx, relu: false, residual: true);

    /// <summary>Conv, Add and Relu in one pass (a residual block's end).</summary>
    public static LayerPlan CreateWithAddRelu(LayerContext ctx) => Create(ctx, relu: true, residual: true);

    private static LayerPlan Create(LayerContext ctx, bool relu, bool residual)
    {
        ctx.OnlyAttributes("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        var x = ctx.Image(0);
        var w = ctx.Shape(1);
        if (w.Rank == 3 && ctx.IsSignal(0))
        {
            w = new TensorShape(w[0], w[1], 1, w[2]);
        }

        if (w.Rank != 4)
        {
            throw ctx.Unsupported($"weight of rank {w.Rank} ({w}) for input {ctx.Shape(0)}");
        }

        var groups = (int)ctx.Attributes.Int("group", 1);
        if (groups < 1 || x[1] % groups != 0 || w[0] % groups != 0 || w[1] * groups != x[1])
        {
            throw ctx.Invalid($"input {x} and weight {w} do not fit group={groups}: the weight needs C/group = {x[1] / Math.Max(1, groups)} input channels");
        }

        if (ctx.HasInput(2) && (ctx.Shape(2).Rank != 1 || ctx.Shape(2)[0] != w[0]))
        {
            throw ctx.Invalid($"bias {ctx.Shape(2)} should be ({w[0]})");
        }

        var window = WindowAttributes.Read(ctx, x, w[2], w[3], ceilMode: false, out var outH, out var outW);
        var output = ctx.OutputLike(x[0], w[0], outH, outW);
        if (residual && (!ctx.HasInput(ResidualInput) || !ctx.Shape(ResidualInput).Equals(output)))
        {
            throw ctx.Invalid($"the residual (input {ResidualInput}) should have the convolution's output shape {output}, got {(ctx.HasInput(ResidualInput) ? ctx.Shape(ResidualInput) : "none")}");
        }

        return new LayerPlan(new ConvLayer(new ConvParams(x[0], x[1], x[2], x[3], w[0], groups, window, outH, outW, relu), residual), [output]);
    }

    public void Run(IBackend backend, DeviceTensor?[] inputs, DeviceTensor[] outputs) =>
        backend.Conv(outputs[0], inputs[0]!, inputs[1]!, inputs.Length > 2 ? inputs[2] : null, Params, residual ? inputs[ResidualInput] : null);

    public bool Differentiates(int input) => input <= 2 || (residual && input == ResidualInput);

    /// <summary>A fused Relu masks dy first (into scratch, so the output's own gradient stays as it was); a fused
    /// residual's gradient is that dy.</summary>
    public void Backward(IBackend backend, in Gradients g)
    {
        var dy = g.DOutputs[0];
        if (Params.Relu)
        {
            var masked = g.Scratch(dy.Shape);
            backend.ActivationBackward(masked, dy, g.Outputs[0], ActivationKind.Relu, 0f, g.Rule);
            dy = masked;
        }

        if (residual && g.DInputs[ResidualInput] is { } dr)
        {
            backend.CopyBlocks(dr, 0, 0, dy, 0, 0, 1, dy.Length);
        }

        if (g.DInputs[0] is { } dx)
        {
            backend.ConvBackwardData(dx, dy, g.Inputs[1]!, Params);
        }

        var db = g.DInputs.Length > 2 ? g.DInputs[2] : null;
        if (g.DInputs[1] is { } dw)
        {
            backend.ConvBackwardFilter(dw, db, dy, g.Inputs[0]!, Params);
        }
        else if (db is not null)
        {
            // The bias alone: Σ dy per output channel, as a broadcast Add's gradient.
            backend.BinaryBackward(db.Reshape(new TensorShape(1, Params.M, 1, 1)), dy, dy, dy, BinaryKind.Add, BroadcastParams.Create(dy.Shape, new TensorShape(1, Params.M, 1, 1)), 1, 1f);
        }
    }
}
