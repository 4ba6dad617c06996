// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Layers;

/// <summary>Relu, LeakyRelu, Tanh and Sigmoid.</summary>
internal sealed class ActivationLayer(ActivationKind kind, float alpha) : ILayer
{
    public static LayerPlan Create(LayerContext ctx)
    {
        var kind = ctx.Node.OpType switch
        {
            "Relu" => ActivationKind.Relu,
            "LeakyRelu" => ActivationKind.LeakyRelu,
            "Tanh" => ActivationKind.Tanh,
            _ => ActivationKind.Sigmoid,
        };
        ctx.OnlyAttributes(kind == ActivationKind.LeakyRelu ? ["alpha"] : []);
        return new LayerPlan(new ActivationLayer(kind, ctx.Attributes.Float("alpha", 0.01f)), [ctx.Shape(0)]);
    }

    public void Run(IBackend backend, DeviceTensor?[] inputs, DeviceTensor[] outputs) =>
        backend.Activation(outputs[0], inputs[0]!, kind, alpha);

    public bool Differentiates(int input) => input == 0;

    public void Backward(IBackend backend, in Gradients g) => backend.ActivationBackward(g.DInputs[0]!, g.DOutputs[0], g.Outputs[0], kind, alpha, g.Rule);
}
