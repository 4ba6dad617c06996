// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Layers;

/// <summary>MaxPool, AveragePool, LpPool (p = 2), GlobalAveragePool and GlobalMaxPool.</summary>
internal sealed class PoolLayer(PoolParams p) : ILayer
{
    public PoolParams Params { get; } = p;

    public static LayerPlan Create(LayerContext ctx)
    {
        var x = ctx.Image(0);
        var op = ctx.Node.OpType;
        if (ctx.Node.Outputs.Count > 1 && ctx.Node.Outputs[1].Length > 0)
        {
            throw ctx.Unsupported("the Indices output");
        }

        if (op is "GlobalAveragePool" or "GlobalMaxPool")
        {
            ctx.OnlyAttributes();
            var global = new Window2D(x[2], x[3], 1, 1, 0, 0, 0, 0, 1, 1);
            var kind = op == "GlobalMaxPool" ? PoolKind.Max : PoolKind.Average;
            return Plan(ctx, new PoolParams(kind, x[0], x[1], x[2], x[3], global, 1, 1, false));
        }

        var kernel = WindowAttributes.Lift(ctx.Attributes.Ints("kernel_shape"), ctx.IsSignal(0), 1) ?? throw ctx.Invalid("kernel_shape is required");
        if (kernel.Length != 2)
        {
            throw ctx.Unsupported($"kernel_shape of rank {kernel.Length}");
        }

        PoolKind poolKind;
        var includePad = false;
        var ceil = false;
        switch (op)
        {
            case "MaxPool":
                ctx.OnlyAttributes("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides");
                poolKind = PoolKind.Max;
                ceil = ctx.Attributes.Int("ceil_mode", 0) != 0;
                break;
            case "AveragePool":
                ctx.OnlyAttributes("auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides");
                poolKind = PoolKind.Average;
                ceil = ctx.Attributes.Int("ceil_mode", 0) != 0;
                includePad = ctx.Attributes.Int("count_include_pad", 0) != 0;
                break;
            default:
                ctx.OnlyAttributes("auto_pad", "kernel_shape", "p", "pads", "strides");
                if (ctx.Attributes.Int("p", 2) != 2)
                {
                    throw ctx.Unsupported($"p = {ctx.Attributes.Int("p", 2)} (only L2 pooling, p = 2)");
                }

                poolKind = PoolKind.L2;
                break;
        }

        var window = WindowAttributes.Read(ctx, x, checked((int)kernel[0]), checked((int)kernel[1]), ceil, out var outH, out var outW);
        return Plan(ctx, new PoolParams(poolKind, x[0], x[1], x[2], x[3], window, outH, outW, includePad));
    }

    public void Run(IBackend backend, DeviceTensor?[] inputs, DeviceTensor[] outputs) => backend.Pool(outputs[0], inputs[0]!, Params);

    public bool Differentiates(int input) => input == 0;

    public void Backward(IBackend backend, in Gradients g) => backend.PoolBackward(g.DInputs[0]!, g.DOutputs[0], g.Inputs[0]!, g.Outputs[0], Params);

    private static LayerPlan Plan(LayerContext ctx, PoolParams p) => new(new PoolLayer(p), [ctx.OutputLike(p.N, p.C, p.OutH, p.OutW)]);
}
