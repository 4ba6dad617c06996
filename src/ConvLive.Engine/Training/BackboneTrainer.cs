// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Live;
using ConvLive.Engine.Models;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Training;

/// <summary>Which layers a fine-tuning run trains.</summary>
public enum TrainLayers
{
    /// <summary>Only the new head, on frozen features.</summary>
    Head,

    /// <summary>The head and the network's own fully connected layers (AlexNet's fc6, fc7).</summary>
    FullyConnected,

    /// <summary>Also the backbone's last convolution (AlexNet's conv5, ResNet-18's last).</summary>
    LastConv,

    /// <summary>Every convolution of the backbone (BatchNormalization stays frozen: running statistics, no training).</summary>
    All,
}

/// <summary>
/// Fine-tunes backbone convolutions and a head together with the engine's own gradients: each step runs a batch of
/// augmented views through the backbone, the head's loss and its gradient with respect to the features, then the
/// planned backward pass from the features to the trained weights (a <see cref="GradientProgram"/>), and an optimizer
/// step on each weight where it lives (the backbone at its own, lower, learning rate). BatchNormalization layers run
/// in inference mode with their running statistics (frozen). The trained weights are copies: the caller's graph is
/// not changed.
/// </summary>
/// <remarks>Owns its compiled backbone, gradient program, head and optimizer state; not the backend. One thread.</remarks>
public sealed class BackboneTrainer : IViewFeatures, IDisposable
{
    private readonly IBackend _backend;
    private readonly CompiledModel _net;
    private readonly NetworkInput _input;
    private readonly GradientProgram _gradients;
    private readonly HeadTrainer _head;
    private readonly (string Name, DeviceTensor W, DeviceTensor M, DeviceTensor V)[] _parameters;
    private readonly float _learningRate;
    private readonly OptimizerKind _optimizer;
    private readonly float[] _features;
    private readonly float[] _seed;
    private int _step;

    private BackboneTrainer(IBackend backend, CompiledModel net, NetworkInput input, GradientProgram gradients, HeadTrainer head, IReadOnlyList<string> trainable, float learningRate, OptimizerKind optimizer, BackboneCut cut, InputSpec spec)
    {
        Spec = spec;
        _backend = backend;
        _net = net;
        _input = input;
        _gradients = gradients;
        _head = head;
        _learningRate = learningRate;
        _optimizer = optimizer;
        Cut = cut;
        Trainable = trainable;
        _parameters = trainable.Select(n =>
        {
            var w = net.Tensor(n);
            return (n, w, Zeros(backend, w.Shape), Zeros(backend, w.Shape));
        }).ToArray();
        _features = new float[Batch * cut.FeatureLength];
        _seed = new float[Batch * cut.FeatureLength];
    }

    /// <summary>Views per step.</summary>
    public int Batch => _input.Batch;

    /// <summary>Where the backbone ends and the head starts.</summary>
    public BackboneCut Cut { get; }

    /// <inheritdoc/>
    public int FeatureLength => Cut.FeatureLength;

    /// <inheritdoc/>
    public InputSpec Spec { get; }

    /// <summary>The backbone initializers trained (weights and biases of the chosen convolutions).</summary>
    public IReadOnlyList<string> Trainable { get; }

    /// <summary>The head being trained with the backbone.</summary>
    public HeadTrainer Head => _head;

    /// <summary>The initializers a choice of layers trains: the last Conv's, or every Conv's, weight and bias.</summary>
    /// <param name="graph">The backbone up to the cut.</param>
    /// <param name="layers">The choice.</param>
    /// <returns>Initializer names, first layer first.</returns>
    public static IReadOnlyList<string> Parameters(ModelGraph graph, TrainLayers layers)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var convs = graph.Nodes.Where(n => n.OpType == "Conv").ToList();
        var chosen = layers switch
        {
            TrainLayers.All => convs,
            TrainLayers.LastConv => convs.TakeLast(1).ToList(),
            _ => [],
        };
        return chosen.SelectMany(n => n.Inputs.Skip(1).Where(i => i.Length > 0 && graph.Initializers.TryGetValue(i, out var v) && v.Floats is not null)).Distinct().ToList();
    }

    /// <summary>Compiles the backbone for training.</summary>
    /// <param name="backend">Where it runs; not owned.</param>
    /// <param name="graph">The full network.</param>
    /// <param name="preprocessGraph">Its preprocessing graph, or null.</param>
    /// <param name="spec">How pictures are fed.</param>
    /// <param name="layers">Which layers train (<see cref="TrainLayers.LastConv"/> or <see cref="TrainLayers.All"/>).</param>
    /// <param name="head">The head to start from (trained on frozen features first, as a rule).</param>
    /// <param name="options">The head's optimizer and batch size (the batch of views per step; one when the graph
    /// fixes its batch at one).</param>
    /// <param name="backboneLearningRate">The backbone's learning rate (a tenth of the head's, as a rule).</param>
    /// <param name="cut">Where the backbone ends (the head's input), or null: before the first fully connected
    /// layer when there is one (the head then holds them), else the network's output.</param>
    /// <returns>The trainer.</returns>
    /// <exception cref="ModelException">The network has no convolution to train, or a layer on the way has no backward.</exception>
    public static BackboneTrainer Create(IBackend backend, ModelGraph graph, ModelGraph? preprocessGraph, InputSpec spec, TrainLayers layers, DenseHead head, TrainerOptions options, float backboneLearningRate, BackboneCut? cut = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(options);
        var rows = ModelInspector.Inspect(graph, spec.Size);
        var shapes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            shapes[graph.Nodes[i].Outputs[0]] = rows[i].Output.Length;
        }

        cut ??= BackboneCut.Find(graph, v => shapes.TryGetValue(v, out var n) ? n : throw new ModelException($"{graph.Source}: cannot size '{v}'"), trainFullyConnected: graph.Nodes.Any(n => n.OpType == "Gemm"));
        var truncated = cut.Truncate(graph);
        var trainable = Parameters(truncated, layers);
        if (trainable.Count == 0)
        {
            throw new ModelException($"{graph.Source}: no convolution before '{cut.FeatureValue}' to train; use --train-layers head or fc");
        }

        // The trained weights are copies, so the caller's graph (and anything compiled from it) keeps its own.
        var initializers = new Dictionary<string, HostValue>(truncated.Initializers, StringComparer.Ordinal);
        foreach (var name in trainable)
        {
            initializers[name] = HostValue.Of(initializers[name].Shape, (float[])initializers[name].Floats!.Clone());
        }

        truncated = truncated with { Initializers = initializers };
        var batch = options.BatchSize;
        CompiledModel? net = null;
        NetworkInput? input = null;
        GradientProgram? gradients = null;
        HeadTrainer? trainer = null;
        if (batch > 1)
        {
            try
            {
                net = CompiledModel.Compile(truncated, backend, NetworkInput.InputShapes(graph, spec, batch));
            }
            catch (ModelException)
            {
                batch = 1; // a graph that fixes its batch at one (the zoo AlexNet's Reshape): one view a step
            }
        }

        try
        {
            net ??= CompiledModel.Compile(truncated, backend, NetworkInput.InputShapes(graph, spec, batch));
            input = NetworkInput.Create(backend, net, preprocessGraph, spec, batch);
            gradients = GradientProgram.Create(net, cut.FeatureValue, trainable);
            trainer = new HeadTrainer(backend, head, options with { InputGradient = true, BatchSize = batch });
            return new BackboneTrainer(backend, net, input, gradients, trainer, trainable, backboneLearningRate, options.Optimizer, cut, spec);
        }
        catch
        {
            trainer?.Dispose();
            gradients?.Dispose();
            input?.Dispose();
            net?.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public PreprocessParams PreprocessFor(int width, int height) => _input.Params(width, height);

    /// <summary>One step on a full batch: forward, loss, both backward passes, and the updates.</summary>
    /// <param name="views">Exactly <see cref="Batch"/> views.</param>
    /// <param name="targets">Batch·Classes class distributions.</param>
    /// <returns>The batch's mean loss before the update.</returns>
    public float Step(ReadOnlySpan<PictureView> views, ReadOnlySpan<float> targets)
    {
        var loss = ComputeGradients(views, targets, updateHead: true);
        var p = OptimizerParams.At(_optimizer, _learningRate, 1e-4f, ++_step);
        foreach (var (name, w, m, v) in _parameters)
        {
            _backend.OptimizerStep(w, _gradients.Gradient(name), m, v, p);
            _backend.ParametersChanged(w);
        }

        return loss;
    }

    /// <summary>Forward, loss and the gradients of the head and the trained backbone weights, without an update.</summary>
    /// <param name="views">Exactly <see cref="Batch"/> views.</param>
    /// <param name="targets">Batch·Classes class distributions.</param>
    /// <returns>The batch's mean loss.</returns>
    public float ComputeGradients(ReadOnlySpan<PictureView> views, ReadOnlySpan<float> targets) => ComputeGradients(views, targets, updateHead: false);

    /// <summary>The loss of a batch as the weights stand: the forward pass and the head's loss only (a
    /// finite-difference check's probe).</summary>
    /// <param name="views">Exactly <see cref="Batch"/> views.</param>
    /// <param name="targets">Batch·Classes class distributions.</param>
    /// <returns>The batch's mean loss.</returns>
    public float Loss(ReadOnlySpan<PictureView> views, ReadOnlySpan<float> targets)
    {
        if (views.Length != Batch)
        {
            throw new ArgumentException($"a step takes exactly {Batch} views, got {views.Length}", nameof(views));
        }

        Run(views);
        return _head.ComputeGradients(_features, targets);
    }

    /// <summary>Reads a trained weight's gradient left by the last step.</summary>
    /// <param name="name">One of <see cref="Trainable"/>.</param>
    /// <param name="destination">Exactly its length.</param>
    public void ReadGradient(string name, Span<float> destination) => _gradients.Read(name, destination);

    /// <summary>Reads a trained weight's current values.</summary>
    /// <param name="name">One of <see cref="Trainable"/>.</param>
    /// <param name="destination">Exactly its length.</param>
    public void ReadParameter(string name, Span<float> destination) => _backend.Download(destination, Parameter(name));

    /// <summary>Sets a trained weight (a finite-difference check's nudge).</summary>
    /// <param name="name">One of <see cref="Trainable"/>.</param>
    /// <param name="values">Exactly its length.</param>
    public void SetParameter(string name, ReadOnlySpan<float> values) => _backend.SetParameter(Parameter(name), values);

    /// <summary>The trained weights as they stand, by initializer name (for the export).</summary>
    /// <returns>Copies.</returns>
    public Dictionary<string, float[]> Snapshot()
    {
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, w, _, _) in _parameters)
        {
            var values = new float[w.Length];
            _backend.Download(values, w);
            result[name] = values;
        }

        return result;
    }

    /// <summary>The features of up to <see cref="Batch"/> views through the backbone as trained so far.</summary>
    /// <param name="views">1 to Batch views.</param>
    /// <param name="features">Receives views.Length·FeatureLength values.</param>
    public void ExtractViews(ReadOnlySpan<PictureView> views, Span<float> features)
    {
        Run(views);
        _features.AsSpan(0, views.Length * Cut.FeatureLength).CopyTo(features);
    }

    /// <inheritdoc/>
    public void ExtractPreprocessed(ReadOnlySpan<float> input, Span<float> features)
    {
        _input.SetValues(input); // the first item; the rest zeros
        _input.Run();
        _net.Read(Cut.FeatureValue, _features);
        _features.AsSpan(0, FeatureLength).CopyTo(features);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var (_, _, m, v) in _parameters)
        {
            m.Dispose();
            v.Dispose();
        }

        _head.Dispose();
        _gradients.Dispose();
        _input.Dispose();
        _net.Dispose();
    }

    private float ComputeGradients(ReadOnlySpan<PictureView> views, ReadOnlySpan<float> targets, bool updateHead)
    {
        if (views.Length != Batch)
        {
            throw new ArgumentException($"a step takes exactly {Batch} views, got {views.Length}", nameof(views));
        }

        Run(views);
        var loss = updateHead ? _head.Step(_features, targets) : _head.ComputeGradients(_features, targets);
        _backend.Download(_seed, _head.InputGradient);
        _gradients.SetSeed(_seed);
        _gradients.Run();
        return loss;
    }

    private void Run(ReadOnlySpan<PictureView> views)
    {
        if (views.Length < 1 || views.Length > Batch)
        {
            throw new ArgumentException($"1 to {Batch} views, got {views.Length}", nameof(views));
        }

        for (var i = 0; i < views.Length; i++)
        {
            _input.SetView(i, views[i].Bgr, views[i].Width, views[i].Height, views[i].View);
        }

        _input.Run();
        _net.Read(Cut.FeatureValue, _features);
    }

    private DeviceTensor Parameter(string name)
    {
        foreach (var p in _parameters)
        {
            if (p.Name == name)
            {
                return p.W;
            }
        }

        throw new KeyNotFoundException($"'{name}' is not trained here; trained: {string.Join(", ", Trainable)}");
    }

    private static DeviceTensor Zeros(IBackend backend, TensorShape shape)
    {
        var t = backend.Allocate(shape);
        backend.Upload(t, new float[shape.Length]);
        return t;
    }
}
