// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Layers;

/// <summary>Softmax and LogSoftmax: opset 13 semantics (one axis, default −1) and the older 2-D coercion
/// (axis default 1, everything from the axis on flattened into one).</summary>
internal sealed class SoftmaxLayer(SoftmaxParams p) : ILayer
{
    public static LayerPlan Create(LayerContext ctx)
    {
        ctx.OnlyAttributes("axis");
        var x = ctx.Shape(0);
        var legacy = ctx.Opset < 13;
        int axis;
        try
        {
            axis = TensorShape.NormaliseAxis(ctx.Attributes.Int("axis", legacy ? 1 : -1), Math.Max(1, x.Rank));
        }
        catch (ArgumentException e)
        {
            throw ctx.Invalid(e.Message);
        }

        var log = ctx.Node.OpType == "LogSoftmax";
        var p = legacy
            ? new SoftmaxParams(x.Product(0, axis), x.Product(axis, x.Rank), 1, log)
            : new SoftmaxParams(x.Product(0, axis), x.Rank == 0 ? 1 : x[axis], x.Product(axis + 1, x.Rank), log);
        return new LayerPlan(new SoftmaxLayer(p), [x]);
    }

    public void Run(IBackend backend, DeviceTensor?[] inputs, DeviceTensor[] outputs) => backend.Softmax(outputs[0], inputs[0]!, p);

    public bool Differentiates(int input) => input == 0;

    public void Backward(IBackend backend, in Gradients g) => backend.SoftmaxBackward(g.DInputs[0]!, g.DOutputs[0], g.Outputs[0], p);
}
