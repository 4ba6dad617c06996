// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Layers;

/// <summary>Transpose: output axis i is input axis perm[i] (default: reversed).</summary>
internal sealed class TransposeLayer(TransposeParams p, TransposeParams inverse) : ILayer
{
    public static LayerPlan Create(LayerContext ctx)
    {
        ctx.OnlyAttributes("perm");
        var x = ctx.Shape(0);
        var perm = ctx.Attributes.Ints("perm")?.Select(v => (int)v).ToArray() ?? Enumerable.Range(0, x.Rank).Reverse().ToArray();
        if (perm.Length != x.Rank || perm.Order().Where((v, i) => v != i).Any())
        {
            throw ctx.Invalid($"perm [{string.Join(',', perm)}] is not a permutation of {x.Rank} axes");
        }

        if (x.Rank > BroadcastParams.MaxRank)
        {
            throw ctx.Unsupported($"rank {x.Rank}");
        }

        var p = TransposeParams.Create(x, perm);
        var back = new int[perm.Length];
        for (var i = 0; i < perm.Length; i++)
        {
            back[perm[i]] = i;
        }

        return new LayerPlan(new TransposeLayer(p, TransposeParams.Create(p.Output, back)), [p.Output]);
    }

    public void Run(IBackend backend, DeviceTensor?[] inputs, DeviceTensor[] outputs) => backend.Transpose(outputs[0], inputs[0]!, p);

    public bool Differentiates(int input) => input == 0;

    /// <summary>The gradient goes back through the inverse permutation.</summary>
    public void Backward(IBackend backend, in Gradients g) => backend.Transpose(g.DInputs[0]!, g.DOutputs[0], inverse);
}
