// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Layers;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Graph;

/// <summary>
/// Reverse mode over a <see cref="CompiledModel"/>: from a seed on one value (a class score, a channel, a unit) to
/// the gradient of any set of target values (the input, intermediate values, parameters). Planned once: which nodes
/// lie between the targets and the seed, one gradient buffer per value (views share their source's), where two
/// paths meet an add; <see cref="Run"/> then only launches backward ops. The forward values the backward ops read are
/// the model's own buffers, so <see cref="CompiledModel.Run"/> must have run on the input first.
/// </summary>
/// <remarks>Owns its gradient buffers; does not own the model. Not thread safe; use it on the model's thread.</remarks>
public sealed class GradientProgram : IDisposable
{
    private readonly CompiledModel _model;
    private readonly IBackend _backend;
    private readonly List<Step> _steps = [];
    private readonly List<DeviceTensor> _owned = [];
    private readonly Dictionary<string, DeviceTensor> _gradients = new(StringComparer.Ordinal);
    private readonly float[] _seedValues;
    private DeviceTensor _seed = null!;
    private bool _disposed;

    private GradientProgram(CompiledModel model, string seed, IReadOnlyList<string> targets)
    {
        _model = model;
        _backend = model.Backend;
        Seed = seed;
        Targets = targets;
        _seedValues = new float[model.ShapeOf(seed).Length];
    }

    /// <summary>The value the backward pass starts from.</summary>
    public string Seed { get; }

    /// <summary>The values whose gradients <see cref="Read"/> gives.</summary>
    public IReadOnlyList<string> Targets { get; }

    /// <summary>The nodes the backward pass runs, in the order it runs them (for profiles and messages).</summary>
    public IReadOnlyList<string> StepNames => _steps.Select(s => s.Node.Name).ToList();

    /// <summary>Plans the backward pass from <paramref name="seed"/> to <paramref name="targets"/>.</summary>
    /// <param name="model">A compiled model; not owned; must outlive the program.</param>
    /// <param name="seed">A float value of the model (an output, a logit, any layer).</param>
    /// <param name="targets">Float values (inputs, intermediate values, weights) whose gradients are wanted.</param>
    /// <returns>The program; the caller owns it.</returns>
    /// <exception cref="ModelException">An unknown value, or a node on the way without a gradient; the message names it.</exception>
    public static GradientProgram Create(CompiledModel model, string seed, IEnumerable<string> targets)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(targets);
        var list = targets.Distinct(StringComparer.Ordinal).ToList();
        foreach (var name in list.Append(seed))
        {
            if (!model.ValueNames.Contains(name) && !model.Graph.Initializers.ContainsKey(name))
            {
                throw new ModelException($"{model.Graph.Source}: no value named '{name}'; `convlive inspect` lists them");
            }

            if (model.IsHostValue(name))
            {
                throw new ModelException($"{model.Graph.Source}: '{name}' is a host constant (shape or integer data), which has no gradient");
            }
        }

        var program = new GradientProgram(model, seed, list);
        try
        {
            program.Plan();
            return program;
        }
        catch
        {
            program.Dispose();
            throw;
        }
    }

    /// <summary>The seed: the gradient of the quantity being explained with respect to <see cref="Seed"/>
    /// (one-hot for a single score). Kept and uploaded at the start of each <see cref="Run"/>.</summary>
    /// <param name="values">Exactly the seed value's length.</param>
    public void SetSeed(ReadOnlySpan<float> values)
    {
        if (values.Length != _seedValues.Length)
        {
            throw new ArgumentException($"the seed '{Seed}' has {_seedValues.Length} elements, got {values.Length}");
        }

        values.CopyTo(_seedValues);
    }

    /// <summary>Seeds one element: the quantity is the seed value's element <paramref name="index"/> (flat, row-major).</summary>
    /// <param name="index">In [0, length).</param>
    public void SeedElement(int index)
    {
        if ((uint)index >= (uint)_seedValues.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"'{Seed}' has {_seedValues.Length} elements ({_model.ShapeOf(Seed)}); give an index in [0, {_seedValues.Length - 1}]");
        }

        Array.Clear(_seedValues);
        _seedValues[index] = 1f;
    }

    /// <summary>Seeds a channel: the quantity is the sum of channel <paramref name="channel"/> of the seed value (N,C,…), every batch item.</summary>
    /// <param name="channel">In [0, C).</param>
    public void SeedChannel(int channel)
    {
        var shape = _model.ShapeOf(Seed);
        if (shape.Rank < 2 || (uint)channel >= (uint)shape[1])
        {
            throw new ArgumentOutOfRangeException(nameof(channel), channel, $"'{Seed}' is {shape}; a channel must be in [0, {(shape.Rank < 2 ? 0 : shape[1]) - 1}]");
        }

        var inner = shape.Product(2, shape.Rank);
        Array.Clear(_seedValues);
        for (var n = 0; n < shape[0]; n++)
        {
            Array.Fill(_seedValues, 1f, ((n * shape[1]) + channel) * inner, inner);
        }
    }

    /// <summary>Runs the backward pass from the seed, with Relus following <paramref name="rule"/>.</summary>
    /// <param name="rule">The true gradient, guided backpropagation or the deconvnet rule.</param>
    public void Run(GradientRule rule = GradientRule.Gradient)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _backend.Upload(_seed, _seedValues);
        foreach (var step in _steps)
        {
            RunStep(step, rule);
        }
    }

    /// <summary>Runs the backward pass <paramref name="runs"/> times, waiting after each node, and gives each node's
    /// median time.</summary>
    /// <param name="runs">Timed runs.</param>
    /// <param name="rule">The Relu rule.</param>
    /// <returns>(node name, op, median ms) per backward step.</returns>
    public IReadOnlyList<(string Node, string Op, double MedianMs)> Profile(int runs, GradientRule rule = GradientRule.Gradient)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var medians = StepTimes.Medians(_steps.Count, runs, i => RunStep(_steps[i], rule), _backend.Synchronize, () => _backend.Upload(_seed, _seedValues));
        return _steps.Select((s, i) => (s.Node.Name, s.Node.OpType, medians[i])).ToList();
    }

    /// <summary>The gradient of a target after <see cref="Run"/>, on the device (for an optimizer step there).</summary>
    /// <param name="name">One of <see cref="Targets"/>.</param>
    /// <returns>The program's buffer; valid until the next run.</returns>
    public DeviceTensor Gradient(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Targets.Contains(name) && _gradients.TryGetValue(name, out var tensor)
            ? tensor
            : throw new KeyNotFoundException($"'{name}' is not a target of this gradient program; targets are {string.Join(", ", Targets)}");
    }

    /// <summary>Reads the gradient of a target after <see cref="Run"/>.</summary>
    /// <param name="name">One of <see cref="Targets"/>.</param>
    /// <param name="destination">Exactly the value's length.</param>
    public void Read(string name, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Targets.Contains(name) || !_gradients.TryGetValue(name, out var tensor))
        {
            throw new KeyNotFoundException($"'{name}' is not a target of this gradient program; targets are {string.Join(", ", Targets)}");
        }

        _backend.Download(destination, tensor);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var t in _owned)
        {
            t.Dispose();
        }
    }

    private void RunStep(Step step, GradientRule rule)
    {
        step.Layer.Backward(_backend, new Gradients(step.Inputs, step.Outputs, step.DOutputs, step.DInputs, rule, step.Scratch));
        foreach (var (sum, part, p) in step.Adds)
        {
            // In place is safe: each element reads only its own element of the sum.
            _backend.Binary(sum, sum, part, BinaryKind.Add, p);
        }
    }

    private void Plan()
    {
        var nodes = _model.Nodes;
        var ancestors = Ancestors(nodes);
        var descendants = Descendants(nodes);
        bool Relevant(string v) => ancestors.Contains(v) && descendants.Contains(v);
        if (!Targets.Any(ancestors.Contains))
        {
            throw new ModelException($"{_model.Graph.Source}: '{Seed}' does not depend on {string.Join(", ", Targets.Select(t => $"'{t}'"))}: every gradient would be zero");
        }

        // One buffer per value on the way; a view's gradient is its source's buffer seen in the view's shape.
        var written = new HashSet<DeviceTensor>(ReferenceEqualityComparer.Instance);
        foreach (var name in _model.InputNames.Concat(_model.Graph.Initializers.Keys).Where(Relevant))
        {
            _gradients[name] = Own(_model.ShapeOf(name));
        }

        var rootOf = new Dictionary<string, DeviceTensor>(StringComparer.Ordinal);
        foreach (var (name, t) in _gradients)
        {
            rootOf[name] = t;
        }

        foreach (var node in nodes)
        {
            for (var i = 0; i < node.Node.Outputs.Count; i++)
            {
                var name = node.Node.Outputs[i];
                if (name.Length == 0 || !Relevant(name))
                {
                    continue;
                }

                if (i == 0 && node.ViewOf >= 0 && node.Node.Input(node.ViewOf) is { } source && rootOf.TryGetValue(source, out var root))
                {
                    rootOf[name] = root;
                    _gradients[name] = root.Reshape(_model.ShapeOf(name));
                }
                else
                {
                    rootOf[name] = _gradients[name] = Own(_model.ShapeOf(name));
                }
            }
        }

        _seed = _gradients[Seed];
        written.Add(rootOf[Seed]);
        for (var n = nodes.Count - 1; n >= 0; n--)
        {
            var node = nodes[n];
            var inputs = node.Node.Inputs;
            var wanted = Enumerable.Range(0, inputs.Count).Where(i => inputs[i].Length > 0 && Relevant(inputs[i])).ToList();
            if (node.Layer is null || wanted.Count == 0 || !node.Node.Outputs.Any(o => o.Length > 0 && Relevant(o)))
            {
                continue;
            }

            var dInputs = new DeviceTensor?[inputs.Count];
            var adds = new List<(DeviceTensor, DeviceTensor, BroadcastParams)>();
            foreach (var i in wanted)
            {
                if (!node.Layer.Differentiates(i))
                {
                    throw new ModelException($"{_model.Graph.Source}: node '{node.Node.Name}' ({node.Node.OpType}) has no gradient with respect to its input {i} ('{inputs[i]}')");
                }

                var shape = _model.ShapeOf(inputs[i]);
                var root = rootOf[inputs[i]];
                if (written.Add(root))
                {
                    dInputs[i] = _gradients[inputs[i]];
                }
                else
                {
                    dInputs[i] = Own(shape);
                    adds.Add((_gradients[inputs[i]], dInputs[i]!, BroadcastParams.Create(shape, shape)));
                }
            }

            var dOutputs = new DeviceTensor[node.Node.Outputs.Count];
            for (var o = 0; o < dOutputs.Length; o++)
            {
                var name = node.Node.Outputs[o];
                dOutputs[o] = name.Length > 0 && Relevant(name) ? _gradients[name] : Zeros(node.Outputs[o]?.Shape ?? new TensorShape(1));
            }

            DeviceTensor? scratch = null;
            _steps.Add(new Step(node.Node, node.Layer, node.Inputs, node.Outputs, dOutputs, dInputs, adds, shape => scratch ??= Own(shape)));
        }

        // Targets the seed does not depend on have a zero gradient.
        foreach (var target in Targets.Where(t => !_gradients.ContainsKey(t)))
        {
            _gradients[target] = Zeros(_model.ShapeOf(target));
        }
    }

    /// <summary>Values the seed depends on (the seed included).</summary>
    private HashSet<string> Ancestors(IReadOnlyList<CompiledNode> nodes)
    {
        var set = new HashSet<string>(StringComparer.Ordinal) { Seed };
        for (var n = nodes.Count - 1; n >= 0; n--)
        {
            var node = nodes[n].Node;
            if (node.Outputs.Any(set.Contains))
            {
                set.UnionWith(node.Inputs.Where(i => i.Length > 0));
            }
        }

        return set;
    }

    /// <summary>Values that depend on a target through inputs a gradient can flow back through (the targets included).</summary>
    private HashSet<string> Descendants(IReadOnlyList<CompiledNode> nodes)
    {
        var set = new HashSet<string>(Targets, StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            var inputs = node.Node.Inputs;
            var flows = node.Layer is not null
                ? Enumerable.Range(0, inputs.Count).Any(i => set.Contains(inputs[i]))
                : node.ViewOf >= 0 && set.Contains(inputs[node.ViewOf]);
            if (flows)
            {
                set.UnionWith(node.Node.Outputs.Where(o => o.Length > 0 && !_model.IsHostValue(o)));
            }
        }

        return set;
    }

    private DeviceTensor Own(TensorShape shape)
    {
        var t = _backend.Allocate(shape);
        _owned.Add(t);
        return t;
    }

    private DeviceTensor Zeros(TensorShape shape)
    {
        var t = Own(shape);
        _backend.Upload(t, new float[shape.Length]);
        return t;
    }

    private sealed record Step(Node Node, ILayer Layer, DeviceTensor?[] Inputs, DeviceTensor[] Outputs, DeviceTensor[] DOutputs, DeviceTensor?[] DInputs, List<(DeviceTensor Sum, DeviceTensor Part, BroadcastParams P)> Adds, Func<TensorShape, DeviceTensor> Scratch);
}
