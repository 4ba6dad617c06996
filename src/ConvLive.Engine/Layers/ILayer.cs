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

    /// <summary>True when <see cref="Backward"/> can give the gradient of input <paramref name="input"/>.</summary>
    bool Differentiates(int input);

    /// <summary>
    /// The node's backward: from the gradients of its outputs, writes (does not add) the gradient of every input
    /// whose <see cref="Gradients.DInputs"/> entry is not null. The forward values it reads are the ones the last
    /// <see cref="Run"/> left in the node's inputs and outputs.
    /// </summary>
    void Backward(IBackend backend, in Gradients g);
}

/// <summary>What one node's backward reads and writes.</summary>
/// <param name="Inputs">The forward inputs (null where omitted or host-only).</param>
/// <param name="Outputs">The forward outputs.</param>
/// <param name="DOutputs">The gradient of each output (zeros where nothing downstream depends on it).</param>
/// <param name="DInputs">Where to write each input's gradient; null where none is wanted.</param>
/// <param name="Rule">How Relus pass the gradient.</param>
/// <param name="Scratch">A tensor the step may use, allocated on first use and kept by the gradient program.</param>
internal readonly record struct Gradients(DeviceTensor?[] Inputs, DeviceTensor[] Outputs, DeviceTensor[] DOutputs, DeviceTensor?[] DInputs, Ops.GradientRule Rule, Func<TensorShape, DeviceTensor> Scratch);

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

    /// <summary>Input i as a 2-D image (N,C,H,W); a 1-D signal (N,C,W) is seen as (N,C,1,W).</summary>
    public TensorShape Image(int i)
    {
        var s = Shape(i);
        return s.Rank switch
        {
            4 => s,
            3 => new TensorShape(s[0], s[1], 1, s[2]),
            _ => throw Unsupported($"input of rank {s.Rank} ({s}); only 1-D (N,C,W) and 2-D (N,C,H,W) inputs"),
        };
    }

    /// <summary>True when input i is a 1-D signal (N,C,W), run as a 2-D image of height 1.</summary>
    public bool IsSignal(int i) => Shape(i).Rank == 3;

    /// <summary>A 2-D output shape in the rank of input 0: (N,C,OW) for 1-D signals.</summary>
    public TensorShape OutputLike(int n, int c, int h, int w) => IsSignal(0) ? new TensorShape(n, c, w) : new TensorShape(n, c, h, w);

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
