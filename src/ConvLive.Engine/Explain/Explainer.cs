// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Graph;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Explain;

/// <summary>
/// Explanations of one quantity of a compiled model (a class score, or the sum of one channel of a layer) on the
/// input the model last ran on: gradient saliency, guided backpropagation, the deconvnet view and Grad-CAM. The
/// backward passes are planned once, on first use; each call then reuses their buffers.
/// </summary>
/// <remarks>Owns its gradient programs; does not own the model. Not thread safe: use it on the model's thread,
/// after <see cref="CompiledModel.Run"/>.</remarks>
public sealed class Explainer : IDisposable
{
    private readonly CompiledModel _model;
    private int? _element;
    private int? _channel;
    private (int X, int Y)? _position;
    private GradientProgram? _toInput;
    private GradientProgram? _toLayer;
    private float[] _activation = [];
    private float[] _gradient = [];
    private double[] _sums = [];

    private Explainer(CompiledModel model, string seed, int? element, int? channel, string camLayer)
    {
        _model = model;
        Seed = seed;
        _element = element;
        _channel = channel;
        CamLayer = camLayer;
        Input = model.InputNames[0];
    }

    /// <summary>The value the quantity is read from.</summary>
    public string Seed { get; }

    /// <summary>The network input the gradient views are of.</summary>
    public string Input { get; }

    /// <summary>The value Grad-CAM weighs.</summary>
    public string CamLayer { get; }

    /// <summary>Explains class <paramref name="index"/>'s score: the first graph output at that index, or, when that
    /// output is a Softmax's, the Softmax's input there (the score before normalisation).</summary>
    /// <param name="model">The model; not owned.</param>
    /// <param name="index">The class.</param>
    /// <param name="camLayer">Grad-CAM's value, or null for the last convolution's activation.</param>
    /// <returns>The explainer; the caller owns it.</returns>
    /// <exception cref="ModelException">The class is out of range, or a value is unknown or unsuitable.</exception>
    public static Explainer ForClass(CompiledModel model, int index, string? camLayer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var seed = ScoreValue(model.Graph);
        var shape = model.ShapeOf(seed);
        var classes = shape.Length / Math.Max(1, shape[0]);
        if (index < 0 || index >= classes)
        {
            throw new ModelException($"class {index} is out of range: '{seed}' has {classes} scores per input (0..{classes - 1})");
        }

        return new Explainer(model, seed, index, null, CheckCamLayer(model, camLayer));
    }

    /// <summary>Explains the sum of channel <paramref name="channel"/> of <paramref name="value"/> (a unit's total response).</summary>
    /// <param name="model">The model; not owned.</param>
    /// <param name="value">A value of the model with channels, (N,C,…).</param>
    /// <param name="channel">The channel.</param>
    /// <param name="camLayer">Grad-CAM's value, or null for the last convolution's activation.</param>
    /// <returns>The explainer; the caller owns it.</returns>
    /// <exception cref="ModelException">An unknown value or a channel out of range.</exception>
    public static Explainer ForUnit(CompiledModel model, string value, int channel, string? camLayer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var shape = KnownShape(model, value, "--unit");
        if (shape.Rank < 2 || channel < 0 || channel >= shape[1])
        {
            throw new ModelException($"--unit {value}:{channel}: '{value}' is {shape}; a channel must be in [0, {(shape.Rank < 2 ? 0 : shape[1]) - 1}]");
        }

        return new Explainer(model, value, null, channel, CheckCamLayer(model, camLayer));
    }

    /// <summary>Checks a unit of <paramref name="value"/> (N,C,…): its channel, and its position in the channel's
    /// map when given; returns the flat index of that one element (batch item 0), or null for the whole channel.</summary>
    /// <param name="model">The model.</param>
    /// <param name="value">The value.</param>
    /// <param name="channel">The channel.</param>
    /// <param name="position">A (column, row) in the map, or null.</param>
    /// <returns>The element, or null.</returns>
    /// <exception cref="ModelException">The channel or position is outside the value.</exception>
    public static int? UnitElement(CompiledModel model, string value, int channel, (int X, int Y)? position)
    {
        ArgumentNullException.ThrowIfNull(model);
        var shape = model.ShapeOf(value);
        if (shape.Rank < 2 || channel < 0 || channel >= shape[1])
        {
            throw new ModelException($"'{value}' is {shape}; a channel must be in [0, {(shape.Rank < 2 ? 0 : shape[1]) - 1}]");
        }

        if (position is not { } p)
        {
            return null;
        }

        if (shape.Rank != 4 || p.X < 0 || p.Y < 0 || p.X >= shape[3] || p.Y >= shape[2])
        {
            throw new ModelException($"position ({p.X}, {p.Y}) is not in '{value}' {shape}; give a column and row inside its map");
        }

        return (((channel * shape[2]) + p.Y) * shape[3]) + p.X;
    }

    /// <summary>The value a class score is read from: the first graph output, or the input of the Softmax that makes it.</summary>
    /// <param name="graph">The model.</param>
    /// <returns>A value name.</returns>
    public static string ScoreValue(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var output = graph.Outputs[0].Name;
        var producer = graph.Nodes.LastOrDefault(n => n.Outputs.Contains(output));
        return producer is { OpType: "Softmax" } && producer.Input(0) is { } logits ? logits : output;
    }

    /// <summary>Grad-CAM's default value: the Relu that activates the last convolution's output (through a
    /// BatchNormalization or a residual Add on the way, as in ResNet), or that convolution's own output when no such
    /// Relu follows.</summary>
    /// <param name="graph">The model.</param>
    /// <returns>A value name.</returns>
    /// <exception cref="ModelException">The model has no convolution.</exception>
    public static string DefaultCamLayer(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var nodes = graph.Nodes;
        var last = -1;
        for (var i = 0; i < nodes.Count; i++)
        {
            if (GraphFusion.IsConv(nodes[i].OpType))
            {
                last = i;
            }
        }

        if (last < 0)
        {
            throw new ModelException($"{graph.Source}: no convolution to take Grad-CAM on; name a value with --layer");
        }

        if (nodes[last].OpType is GraphFusion.ConvRelu or GraphFusion.ConvAddRelu)
        {
            return nodes[last].Outputs[0];
        }

        // Follow the convolution's output through what normalises or adds to it (BatchNormalization, a residual
        // Add) to the Relu that activates it; another consumer ends the walk at the convolution's own output.
        var value = nodes[last].Outputs[0];
        for (var i = last + 1; i < nodes.Count; i++)
        {
            if (!nodes[i].Inputs.Contains(value))
            {
                continue;
            }

            switch (nodes[i].OpType)
            {
                case "Relu":
                    return nodes[i].Outputs[0];
                case "BatchNormalization" or "Add":
                    value = nodes[i].Outputs[0];
                    break;
                default:
                    return nodes[last].Outputs[0];
            }
        }

        return nodes[last].Outputs[0];
    }

    /// <summary>Explains class <paramref name="index"/> from now on (an explainer made by <see cref="ForClass"/>):
    /// the live view follows the top class frame by frame without planning anything again.</summary>
    /// <param name="index">The class.</param>
    public void SetClass(int index)
    {
        if (_element is null)
        {
            throw new InvalidOperationException("this explainer explains a unit, not a class");
        }

        if (index == _element)
        {
            return;
        }

        _toInput?.SeedElement(index); // checks the range
        _toLayer?.SeedElement(index);
        _element = index;
    }

    /// <summary>Explains channel <paramref name="channel"/> of the same value from now on (an explainer made by
    /// <see cref="ForUnit"/>), the sum of its map or, with <paramref name="position"/>, the one unit there (the
    /// toolbox's backprop from a clicked position): moving through a layer's channels plans nothing again.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="position">A (column, row) in the channel's map, or null for the whole channel.</param>
    /// <exception cref="ModelException">The position is outside the map.</exception>
    public void SetChannel(int channel, (int X, int Y)? position = null)
    {
        if (_channel is null)
        {
            throw new InvalidOperationException("this explainer explains a class, not a unit");
        }

        if (channel == _channel && position == _position)
        {
            return;
        }

        if (UnitElement(_model, Seed, channel, position) is { } element)
        {
            _toInput?.SeedElement(element);
            _toLayer?.SeedElement(element);
        }
        else
        {
            _toInput?.SeedChannel(channel); // checks the range
            _toLayer?.SeedChannel(channel);
        }

        (_channel, _position) = (channel, position);
    }

    /// <summary>The shape <see cref="Compute"/> writes: the input's for the gradient views, (H′, W′) of
    /// <see cref="CamLayer"/> for Grad-CAM.</summary>
    /// <param name="method">The method.</param>
    /// <returns>The shape.</returns>
    public TensorShape MapShape(ExplainMethod method)
    {
        if (method != ExplainMethod.GradCam || CamLayer.Length == 0)
        {
            return _model.ShapeOf(Input);
        }

        var a = _model.ShapeOf(CamLayer);
        return a.Rank == 3 ? new TensorShape(1, a[2]) : new TensorShape(a[2], a[3]);
    }

    /// <summary>Computes one explanation of the input the model last ran on.</summary>
    /// <param name="method">The method.</param>
    /// <param name="map">Exactly <see cref="MapShape"/>'s length.</param>
    public void Compute(ExplainMethod method, Span<float> map)
    {
        if (method != ExplainMethod.GradCam)
        {
            var program = _toInput ??= Plan(Input);
            program.Run(method switch { ExplainMethod.Guided => GradientRule.Guided, ExplainMethod.Deconv => GradientRule.Deconv, _ => GradientRule.Gradient });
            program.Read(Input, map);
            return;
        }

        if (CamLayer.Length == 0)
        {
            throw new ModelException($"{_model.Graph.Source}: no convolution to take Grad-CAM on; name a (N,C,H,W) value with --layer");
        }

        var toLayer = _toLayer ??= Plan(CamLayer);
        toLayer.Run();
        var shape = _model.ShapeOf(CamLayer);
        int channels = shape[1], spatial = shape.Product(2, shape.Rank);
        if (map.Length != spatial)
        {
            throw new ArgumentException($"Grad-CAM on '{CamLayer}' {shape} writes {spatial} values, not {map.Length}", nameof(map));
        }

        if (_activation.Length != shape.Length)
        {
            _activation = new float[shape.Length];
            _gradient = new float[shape.Length];
        }

        _model.Read(CamLayer, _activation);
        toLayer.Read(CamLayer, _gradient);

        // Batch item 0: α_c = mean over positions of ∂score/∂A_c; map = relu(Σ_c α_c·A_c), in double.
        if (_sums.Length != spatial)
        {
            _sums = new double[spatial];
        }

        var sums = _sums;
        Array.Clear(sums);
        for (var c = 0; c < channels; c++)
        {
            double alpha = 0;
            for (var s = 0; s < spatial; s++)
            {
                alpha += _gradient[(c * spatial) + s];
            }

            alpha /= spatial;
            for (var s = 0; s < spatial; s++)
            {
                sums[s] += alpha * _activation[(c * spatial) + s];
            }
        }

        for (var s = 0; s < spatial; s++)
        {
            map[s] = (float)Math.Max(0, sums[s]);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _toInput?.Dispose();
        _toLayer?.Dispose();
    }

    private GradientProgram Plan(string target)
    {
        var program = GradientProgram.Create(_model, Seed, [target]);
        if (_element is { } element)
        {
            program.SeedElement(element);
        }
        else if (UnitElement(_model, Seed, _channel!.Value, _position) is { } unit)
        {
            program.SeedElement(unit);
        }
        else
        {
            program.SeedChannel(_channel!.Value);
        }

        return program;
    }

    private static TensorShape KnownShape(CompiledModel model, string value, string option)
    {
        if (!model.ValueNames.Contains(value) || model.IsHostValue(value))
        {
            var near = model.ValueNames.Where(v => !model.IsHostValue(v) && v.Contains(value, StringComparison.OrdinalIgnoreCase)).Take(5).ToList();
            throw new ModelException($"{option} {value}: the model has no float value of that name{(near.Count > 0 ? $"; close: {string.Join(", ", near)}" : string.Empty)} (`convlive inspect --model M` lists the layers)");
        }

        return model.ShapeOf(value);
    }

    private static string CheckCamLayer(CompiledModel model, string? layer)
    {
        if (layer is null)
        {
            try
            {
                layer = DefaultCamLayer(model.Graph);
            }
            catch (ModelException)
            {
                return string.Empty; // only Grad-CAM needs it; Compute says so then
            }

            if (model.ShapeOf(layer).Rank < 3)
            {
                return string.Empty; // a 1-D convolution's map cannot be weighed by position either; said the same way
            }
        }

        var shape = KnownShape(model, layer, "--layer");
        if (shape.Rank < 3)
        {
            throw new ModelException($"--layer {layer}: '{layer}' is {shape}, without spatial axes; Grad-CAM needs a (N,C,H,W) value such as a convolution's output");
        }

        return layer;
    }
}
