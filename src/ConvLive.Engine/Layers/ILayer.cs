// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Layers;

/// <summary>A compiled node: shapes resolved, attributes checked, ready to launch on a backend.</summary>
internal interface ILayer
{
    /// <summary>Runs the node. Inputs are the node's inputs (null where omitted or host-only); outputs are preallocated.</summary>
    void Run(IBackend backend, DeviceTensor?[] inputs, DeviceTensor[] outputs);
}

/// <summary>How a node's outputs come to be.</summary>
/// <param name="Layer">The layer to run, or null when no work is needed (views, host constants).</param>
/// <param name="OutputShapes">The shape of each output.</param>
/// <param name="ViewOf">When ≥ 0, output 0 is input <c>ViewOf</c> seen with OutputShapes[0] (Reshape, Flatten, Identity).</param>
/// <param name="HostOutputs">Outputs computed at compile time on the host (Constant, Dropout's mask), else null.</param>
internal sealed record LayerPlan(ILayer? Layer, TensorShape[] OutputShapes, int ViewOf = -1, HostValue?[]? HostOutputs = null);

/// <summary>What a layer factory sees of a node: its attributes, input shapes and any inputs known at compile time.</summary>
internal sealed class LayerContext(Node node, int opset, TensorShape?[] inputShapes, HostValue?[] constants)
{
    public Node Node { get; } = node;

    public int Opset { get; } = opset;

    public NodeAttributes Attributes => Node.Attributes;

    public int InputCount => inputShapes.Length;

    /// <summary>Input i's shape; throws when the input is missing.</summary>
    public TensorShape Shape(int i) =>
        i < inputShapes.Length && inputShapes[i] is { } s ? s : throw Invalid($"input {i} is missing");

    public bool HasInput(int i) => i < inputShapes.Length && inputShapes[i] is not null;

    /// <summary>Input i's value when it is known at compile time (an initializer or constant), else null.</summary>
    public HostValue? Constant(int i) => i < constants.Length ? constants[i] : null;

    public ModelException Invalid(string what) => new($"node '{Node.Name}' ({Node.OpType}): {what}");

    public UnsupportedModelException Unsupported(string what) => new($"node '{Node.Name}' ({Node.OpType}): {what} is not supported");

    /// <summary>Requires input i to have rank 4 (N,C,H,W): the 2-D ops' only layout.</summary>
    public TensorShape Image(int i)
    {
        var s = Shape(i);
        return s.Rank == 4 ? s : throw Unsupported($"input of rank {s.Rank} ({s}); only 2-D images (N,C,H,W)");
    }

    /// <summary>Rejects attributes the layer does not read, so nothing is silently ignored.</summary>
    public void OnlyAttributes(params string[] known)
    {
        foreach (var name in Attributes.Names)
        {
            if (!known.Contains(name))
            {
                throw Unsupported($"attribute '{name}'");
            }
        }
    }
}
