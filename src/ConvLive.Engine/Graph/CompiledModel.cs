// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Layers;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Graph;

/// <summary>
/// A <see cref="ModelGraph"/> compiled for one backend and one set of input shapes: every value's shape inferred,
/// every buffer allocated and every weight uploaded once, so <see cref="Run"/> only launches work. Any value
/// (every node's output) can be read back, which is how the app taps layers.
/// </summary>
/// <remarks>Owns its device tensors; does not own the backend. Not thread safe.</remarks>
public sealed class CompiledModel : IDisposable
{
    private readonly IBackend _backend;
    private readonly Dictionary<string, DeviceTensor> _device = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HostValue> _host = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorShape> _shapes = new(StringComparer.Ordinal);
    private readonly List<DeviceTensor> _owned = [];
    private long _allocatedElements;
    private readonly List<(ILayer Layer, DeviceTensor?[] Inputs, DeviceTensor[] Outputs, Node Node)> _steps = [];
    private readonly List<CompiledNode> _nodes = [];
    private bool _disposed;

    private CompiledModel(ModelGraph graph, IBackend backend)
    {
        Graph = graph;
        _backend = backend;
    }

    /// <summary>The most float elements a compiled model may allocate in all (4 GiB): checked before each allocation,
    /// so a model with absurd shapes fails with a message instead of exhausting memory.</summary>
    public const long MaxElements = 1L << 30;

    /// <summary>The graph this was compiled from.</summary>
    public ModelGraph Graph { get; }

    /// <summary>Names of the float inputs to set before <see cref="Run"/>.</summary>
    public IReadOnlyList<string> InputNames { get; private set; } = [];

    /// <summary>Every value name in the order values are produced (inputs, then each node's outputs).</summary>
    public IReadOnlyList<string> ValueNames { get; private set; } = [];

    /// <summary>Compiles <paramref name="graph"/> for <paramref name="backend"/>.</summary>
    /// <param name="graph">The model.</param>
    /// <param name="backend">Where it runs; not owned.</param>
    /// <param name="inputShapes">Shapes for inputs whose declared shape is symbolic or to override it; may be null.</param>
    /// <param name="constantInputs">Inputs known now (int64 shapes, for example); may be null.</param>
    /// <returns>The compiled model; the caller owns it.</returns>
    /// <exception cref="ModelException">A node is invalid or unsupported; the message names it.</exception>
    public static CompiledModel Compile(ModelGraph graph, IBackend backend, IReadOnlyDictionary<string, TensorShape>? inputShapes = null, IReadOnlyDictionary<string, HostValue>? constantInputs = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(backend);
        var model = new CompiledModel(graph, backend);
        try
        {
            model.Build(inputShapes, constantInputs);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Every node as compiled, in graph order, for <see cref="GradientProgram"/>.</summary>
    internal IReadOnlyList<CompiledNode> Nodes => _nodes;

    /// <summary>The backend the model runs on; not owned.</summary>
    internal IBackend Backend => _backend;

    /// <summary>The shape of any value.</summary>
    /// <param name="name">A value name.</param>
    /// <returns>Its shape.</returns>
    public TensorShape ShapeOf(string name) =>
        _shapes.TryGetValue(name, out var s) ? s : throw new KeyNotFoundException($"{Graph.Source}: no value named '{name}'");

    /// <summary>True when the value lives on the host (int64 or bool constants, Dropout's mask).</summary>
    /// <param name="name">A value name.</param>
    /// <returns>Whether it is host-only.</returns>
    public bool IsHostValue(string name) => !_device.ContainsKey(name) && _host.ContainsKey(name);

    /// <summary>The host value of a host-only value.</summary>
    /// <param name="name">A value name.</param>
    /// <returns>The value.</returns>
    public HostValue HostValueOf(string name) => _host[name];

    /// <summary>The backend tensor holding a float value (an input, a weight or a node's output); owned by this model.</summary>
    /// <param name="name">A value name.</param>
    /// <returns>The tensor.</returns>
    public DeviceTensor Tensor(string name) =>
        _device.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"{Graph.Source}: no float value named '{name}'");

    /// <summary>Uploads an input.</summary>
    /// <param name="name">One of <see cref="InputNames"/>.</param>
    /// <param name="values">Exactly its shape's length.</param>
    public void SetInput(string name, ReadOnlySpan<float> values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!InputNames.Contains(name))
        {
            throw new ArgumentException($"{Graph.Source}: '{name}' is not a float input; inputs are {string.Join(", ", InputNames)}");
        }

        _backend.Upload(_device[name], values);
    }

    /// <summary>Runs every node once.</summary>
    public void Run()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var (layer, inputs, outputs, _) in _steps)
        {
            layer.Run(_backend, inputs, outputs);
        }
    }

    /// <summary>Runs every node <paramref name="runs"/> times, reading back after each node so the time is the
    /// node's own (on ILGPU that includes a synchronisation), and returns each node's median.</summary>
    /// <param name="runs">Timed runs.</param>
    /// <returns>(node name, op, median ms) per node that does work.</returns>
    public IReadOnlyList<(string Node, string Op, double MedianMs)> Profile(int runs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var medians = StepTimes.Medians(_steps.Count, runs, i => _steps[i].Layer.Run(_backend, _steps[i].Inputs, _steps[i].Outputs), _backend.Synchronize);
        return _steps.Select((s, i) => (s.Node.Name, s.Node.OpType, medians[i])).ToList();
    }

    /// <summary>Reads any float value (an output or a tap) into <paramref name="destination"/>.</summary>
    /// <param name="name">A value name.</param>
    /// <param name="destination">Exactly its shape's length.</param>
    public void Read(string name, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_device.TryGetValue(name, out var tensor))
        {
            _backend.Download(destination, tensor);
        }
        else if (_host.TryGetValue(name, out var host) && host.Floats is { } floats)
        {
            floats.CopyTo(destination);
        }
        else
        {
            throw new KeyNotFoundException($"{Graph.Source}: no float value named '{name}'");
        }
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

    private void Build(IReadOnlyDictionary<string, TensorShape>? inputShapes, IReadOnlyDictionary<string, HostValue>? constants)
    {
        var order = new List<string>();
        foreach (var (name, value) in Graph.Initializers)
        {
            AddHost(name, value);
        }

        var floatInputs = new List<string>();
        foreach (var input in Graph.Inputs)
        {
            if (constants?.TryGetValue(input.Name, out var known) == true)
            {
                AddHost(input.Name, known);
            }
            else if (input.Type != ElementType.Float32)
            {
                throw new UnsupportedModelException($"{Graph.Source}: input '{input.Name}' is {input.Type} and computed at run time; only float inputs can change between runs");
            }
            else
            {
                var shape = inputShapes?.GetValueOrDefault(input.Name) ?? DeclaredShape(input);
                _shapes[input.Name] = shape;
                _device[input.Name] = Allocate(shape, input.Name);
                floatInputs.Add(input.Name);
            }

            order.Add(input.Name);
        }

        foreach (var node in Graph.Nodes)
        {
            CompileNode(node);
            order.AddRange(node.Outputs.Where(o => o.Length > 0));
        }

        InputNames = floatInputs;
        ValueNames = order;
        foreach (var output in Graph.Outputs)
        {
            if (!_shapes.ContainsKey(output.Name))
            {
                throw new ModelException($"{Graph.Source}: graph output '{output.Name}' is produced by no node");
            }
        }
    }

    private void CompileNode(Node node)
    {
        var plan = LayerFactory.Plan(Graph, node, _shapes, _host);
        var outputs = new DeviceTensor[node.Outputs.Count];
        for (var i = 0; i < node.Outputs.Count; i++)
        {
            var name = node.Outputs[i];
            if (name.Length == 0 || i >= plan.OutputShapes.Length)
            {
                continue;
            }

            _shapes[name] = plan.OutputShapes[i];
            if (plan.HostOutputs?[i] is { } host)
            {
                AddHost(name, host);
            }
            else if (i == 0 && plan.ViewOf >= 0)
            {
                var source = node.Input(plan.ViewOf)!;
                if (_device.TryGetValue(source, out var tensor))
                {
                    _device[name] = tensor.Reshape(plan.OutputShapes[0]);
                }
                else
                {
                    var h = _host[source];
                    AddHost(name, h.Type switch
                    {
                        ElementType.Float32 => HostValue.Of(plan.OutputShapes[0], h.Floats!),
                        ElementType.Int64 => HostValue.Of(plan.OutputShapes[0], h.Longs!),
                        _ => HostValue.Of(plan.OutputShapes[0], h.Bools!),
                    });
                }
            }
            else
            {
                _device[name] = outputs[i] = Allocate(plan.OutputShapes[i], name);
            }
        }

        var inputs = node.Inputs.Select(n => n.Length > 0 ? _device.GetValueOrDefault(n) : null).ToArray();
        if (plan.Layer is not null)
        {
            _steps.Add((plan.Layer, inputs, outputs, node));
        }

        _nodes.Add(new CompiledNode(node, plan.Layer, inputs, outputs, plan.ViewOf));
    }

    /// <summary>Adds a value's elements to the model's total, refusing a model past <see cref="MaxElements"/>.</summary>
    private void Count(TensorShape shape, string name)
    {
        _allocatedElements += shape.Length;
        if (_allocatedElements > MaxElements)
        {
            throw new ModelException($"{Graph.Source}: value '{name}' ({shape}) takes the model past {MaxElements * 4 / (1 << 30)} GiB of tensors; check its input size and shapes");
        }
    }

    private void AddHost(string name, HostValue value)
    {
        _host[name] = value;
        _shapes[name] = value.Shape;
        if (value.Type == ElementType.Float32)
        {
            Count(value.Shape, name);
            var tensor = _backend.Constant(value.Shape, value.Floats!);
            _owned.Add(tensor);
            _device[name] = tensor;
        }
    }

    private DeviceTensor Allocate(TensorShape shape, string name)
    {
        Count(shape, name);
        var tensor = _backend.Allocate(shape);
        _owned.Add(tensor);
        return tensor;
    }

    private TensorShape DeclaredShape(GraphValue input)
    {
        if (input.Dims is null || input.Dims.Any(d => d is null))
        {
            throw new ModelException($"{Graph.Source}: input '{input.Name}' has a symbolic or missing shape; give its size (e.g. --input-size)");
        }

        try
        {
            return TensorShape.FromLongs(input.Dims.Select(d => d!.Value).ToArray());
        }
        catch (ArgumentException e)
        {
            throw new ModelException($"{Graph.Source}: input '{input.Name}' declares an impossible shape: {e.Message}", e);
        }
    }
}

/// <summary>One node as compiled: its layer (null for views and host values), its tensors, and which input output 0
/// views (or −1).</summary>
internal sealed record CompiledNode(Node Node, ILayer? Layer, DeviceTensor?[] Inputs, DeviceTensor[] Outputs, int ViewOf);
