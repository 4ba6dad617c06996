// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Layers;

/// <summary>LRN across channels (AlexNet's).</summary>
internal sealed class LrnLayer(LrnParams p) : ILayer
{
    public static LayerPlan Create(LayerContext ctx)
    {
        ctx.OnlyAttributes("alpha", "beta", "bias", "size");
        var x = ctx.Shape(0);
        if (x.Rank < 3)
        {
            throw ctx.Unsupported($"input of rank {x.Rank}");
        }

        var size = ctx.Attributes.Int("size", 0);
        if (size < 1)
        {
            throw ctx.Invalid("size must be ≥ 1");
        }

        var p = new LrnParams(x[0], x[1], x.Product(2, x.Rank), (int)size, ctx.Attributes.Float("alpha", 1e-4f), ctx.Attributes.Float("beta", 0.75f), ctx.Attributes.Float("bias", 1f));
        return new LayerPlan(new LrnLayer(p), [x]);
    }

    public void Run(IBackend backend, DeviceTensor?[] inputs, DeviceTensor[] outputs) => backend.Lrn(outputs[0], inputs[0]!, p);

    public bool Differentiates(int input) => input == 0;

    public void Backward(IBackend backend, in Gradients g) => backend.LrnBackward(g.DInputs[0]!, g.DOutputs[0], g.Inputs[0]!, g.Outputs[0], p);
}

/// <summary>BatchNormalization in inference mode (one output, running statistics).</summary>
internal sealed class BatchNormLayer(float epsilon) : ILayer
{
    public static LayerPlan Create(LayerContext ctx)
    {
        ctx.OnlyAttributes("epsilon", "is_test", "momentum", "spatial", "training_mode", "consumed_inputs");
        if (ctx.Attributes.Int("training_mode", 0) != 0 || ctx.Node.Outputs.Count(o => o.Length > 0) > 1)
        {
            throw ctx.Unsupported("training mode (running-statistics outputs)");
        }

        if (ctx.Attributes.Int("spatial", 1) != 1)
        {
            throw ctx.Unsupported("spatial = 0");
        }

        var x = ctx.Shape(0);
        for (var i = 1; i <= 4; i++)
        {
            if (ctx.Shape(i).Rank != 1 || ctx.Shape(i)[0] != x[1])
            {
                throw ctx.Invalid($"input {i} is {ctx.Shape(i)}, expected ({x[1]}) for {x[1]} channels");
            }
        }

        return new LayerPlan(new BatchNormLayer(ctx.Attributes.Float("epsilon", 1e-5f)), [x]);
    }

    public void Run(IBackend backend, DeviceTensor?[] inputs, DeviceTensor[] outputs) =>
        backend.BatchNorm(outputs[0], inputs[0]!, inputs[1]!, inputs[2]!, inputs[3]!, inputs[4]!, epsilon);

    /// <summary>The input, the scale and the bias; not the running mean and variance (statistics, not parameters).</summary>
    public bool Differentiates(int input) => input <= 2;

    public void Backward(IBackend backend, in Gradients g) =>
        backend.BatchNormBackward(g.DInputs[0], g.DInputs[1], g.DInputs[2], g.DOutputs[0], g.Inputs[0]!, g.Inputs[1]!, g.Inputs[3]!, g.Inputs[4]!, epsilon);
}
