// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Layers;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Graph;

/// <summary>One row of <c>convlive inspect</c>: a node with its shape and the lecture's counts.</summary>
/// <param name="Name">The node name.</param>
/// <param name="Op">The op type.</param>
/// <param name="Output">The output shape.</param>
/// <param name="Parameters">Weights and biases the node reads from initializers.</param>
/// <param name="Computations">Parameters × output positions for Conv (the lecture's count: each weight is used once
/// per output position); parameters for Gemm/MatMul; 0 for ops without weights.</param>
/// <param name="ReceptiveField">Input pixels one output pixel sees along each axis, or 0 once spatial structure is gone.</param>
/// <param name="Jump">Input pixels between neighbouring output pixels (the product of the strides so far).</param>
/// <param name="Start">Input coordinate of the first output pixel's field's first pixel (negative where it reaches into padding).</param>
public sealed record LayerInfo(string Name, string Op, TensorShape Output, long Parameters, long Computations, int ReceptiveField, int Jump = 0, int Start = 0)
{
    /// <summary>The input pixels output pixel <paramref name="index"/> sees along one axis: [first, last], unclipped.</summary>
    /// <param name="index">Output row or column.</param>
    /// <returns>First and last input coordinate.</returns>
    public (int First, int Last) FieldOf(int index) => (Start + (index * Jump), Start + (index * Jump) + ReceptiveField - 1);
}

/// <summary>Walks a graph's shapes without running it and counts parameters, computations and receptive fields.</summary>
public static class ModelInspector
{
    /// <summary>Inspects <paramref name="graph"/> with its first input resized to <paramref name="inputSize"/>².</summary>
    /// <param name="graph">The model.</param>
    /// <param name="inputSize">Square spatial size for the image input, or null for the declared size.</param>
    /// <param name="inputShapes">Shapes to walk the named inputs at instead (as <see cref="CompiledModel.Compile"/>
    /// takes them), or null.</param>
    /// <returns>One row per node, in order.</returns>
    /// <exception cref="ModelException">A node is invalid or unsupported.</exception>
    public static IReadOnlyList<LayerInfo> Inspect(ModelGraph graph, int? inputSize = null, IReadOnlyDictionary<string, TensorShape>? inputShapes = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var shapes = new Dictionary<string, TensorShape>(StringComparer.Ordinal);
        var consts = new Dictionary<string, HostValue>(StringComparer.Ordinal);
        var fields = new Dictionary<string, (int Field, int Jump, int Start)>(StringComparer.Ordinal);
        foreach (var (name, value) in graph.Initializers)
        {
            shapes[name] = value.Shape;
            consts[name] = value;
        }

        foreach (var input in graph.Inputs)
        {
            if (input.Dims is null || input.Dims.Count != 4 && inputSize is not null)
            {
                throw new ModelException($"{graph.Source}: input '{input.Name}' is not an image (N,C,H,W); --input-size needs one");
            }

            var dims = input.Dims!.Select(d => d ?? 1).ToArray();
            if (inputSize is { } size && dims.Length == 4)
            {
                dims[2] = dims[3] = size;
            }

            shapes[input.Name] = inputShapes?.GetValueOrDefault(input.Name) ?? TensorShape.FromLongs(dims);
            fields[input.Name] = (1, 1, 0);
        }

        var rows = new List<LayerInfo>();
        foreach (var node in graph.Nodes)
        {
            var plan = LayerFactory.Plan(graph, node, shapes, consts);
            for (var i = 0; i < node.Outputs.Count && i < plan.OutputShapes.Length; i++)
            {
                shapes[node.Outputs[i]] = plan.OutputShapes[i];
                if (plan.HostOutputs?[i] is { } host)
                {
                    consts[node.Outputs[i]] = host;
                }
            }

            var parameters = node.Inputs.Skip(1).Where(n => graph.Initializers.TryGetValue(n, out var v) && v.Type == ElementType.Float32).Sum(n => (long)graph.Initializers[n].Shape.Length);
            var output = plan.OutputShapes[0];
            var positions = output.Rank == 4 ? (long)output[2] * output[3] : 1;
            var computations = plan.Layer is ConvLayer ? parameters * positions : parameters;

            var (field, jump, start) = node.Input(0) is { } first && fields.TryGetValue(first, out var f) ? f : (0, 0, 0);
            switch (plan.Layer)
            {
                case ConvLayer conv:
                    var w = conv.Params.Window;
                    (field, jump, start) = (field + ((w.KernelH - 1) * w.DilationH * jump), jump * w.StrideH, start - (w.PadTop * jump));
                    break;
                case PoolLayer pool when pool.Params.OutH == 1 && pool.Params.OutW == 1 && pool.Params.H > 1:
                    (field, jump, start) = (0, 0, 0);
                    break;
                case PoolLayer pool:
                    var pw = pool.Params.Window;
                    (field, jump, start) = (field + ((pw.KernelH - 1) * pw.DilationH * jump), jump * pw.StrideH, start - (pw.PadTop * jump));
                    break;
                case GemmLayer or MatMulLayer:
                    (field, jump, start) = (0, 0, 0);
                    break;
            }

            if (output.Rank != 4)
            {
                (field, jump, start) = (0, 0, 0);
            }

            foreach (var o in node.Outputs.Where(o => o.Length > 0))
            {
                fields[o] = (field, jump, start);
            }

            rows.Add(new LayerInfo(node.Name, node.OpType, output, parameters, computations, field, jump, start));
        }

        return rows;
    }
}
