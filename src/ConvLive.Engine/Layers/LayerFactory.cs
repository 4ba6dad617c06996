// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Graph;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Layers;

/// <summary>Maps ONNX op types to the layers that implement them.</summary>
internal static class LayerFactory
{
    private static readonly Dictionary<string, Func<LayerContext, LayerPlan>> Factories = new(StringComparer.Ordinal)
    {
        ["Conv"] = ConvLayer.Create,
        [Graph.GraphFusion.ConvRelu] = ConvLayer.CreateWithRelu,
        [Graph.GraphFusion.ConvAdd] = ConvLayer.CreateWithAdd,
        [Graph.GraphFusion.ConvAddRelu] = ConvLayer.CreateWithAddRelu,
        ["MaxPool"] = PoolLayer.Create,
        ["AveragePool"] = PoolLayer.Create,
        ["LpPool"] = PoolLayer.Create,
        ["GlobalAveragePool"] = PoolLayer.Create,
        ["GlobalMaxPool"] = PoolLayer.Create,
        ["Relu"] = ActivationLayer.Create,
        ["LeakyRelu"] = ActivationLayer.Create,
        ["Tanh"] = ActivationLayer.Create,
        ["Sigmoid"] = ActivationLayer.Create,
        ["Add"] = BinaryLayer.Create,
        ["Sub"] = BinaryLayer.Create,
        ["Mul"] = BinaryLayer.Create,
        ["Div"] = BinaryLayer.Create,
        ["Sum"] = BinaryLayer.Create,
        ["LRN"] = LrnLayer.Create,
        ["BatchNormalization"] = BatchNormLayer.Create,
        ["Gemm"] = GemmLayer.Create,
        ["MatMul"] = MatMulLayer.Create,
        ["Softmax"] = SoftmaxLayer.Create,
        ["LogSoftmax"] = SoftmaxLayer.Create,
        ["Flatten"] = ShapeLayers.Flatten,
        ["Reshape"] = ShapeLayers.Reshape,
        ["Identity"] = ShapeLayers.Identity,
        ["Dropout"] = ShapeLayers.Identity,
        ["Constant"] = ShapeLayers.Constant,
        ["Concat"] = ConcatLayer.Create,
        ["Split"] = SplitLayer.Create,
        ["Squeeze"] = ShapeLayers.SqueezeOrUnsqueeze,
        ["Unsqueeze"] = ShapeLayers.SqueezeOrUnsqueeze,
        ["Transpose"] = TransposeLayer.Create,
    };

    /// <summary>The op types the engine implements.</summary>
    public static IReadOnlyCollection<string> SupportedOps => Factories.Keys;

    /// <summary>
    /// Plans one node of <paramref name="graph"/> from the shapes and constant values known so far: the single path
    /// the compiler and <c>inspect</c> share, so both check inputs and word their errors the same way.
    /// </summary>
    /// <exception cref="ModelException">A missing input, or a node the layer refuses; the message starts with the file.</exception>
    public static LayerPlan Plan(ModelGraph graph, Node node, IReadOnlyDictionary<string, TensorShape> shapes, IReadOnlyDictionary<string, HostValue> constants)
    {
        var inputShapes = new TensorShape?[node.Inputs.Count];
        var inputConstants = new HostValue?[node.Inputs.Count];
        for (var i = 0; i < node.Inputs.Count; i++)
        {
            if (node.Input(i) is not { } name)
            {
                continue;
            }

            inputShapes[i] = shapes.TryGetValue(name, out var shape) ? shape
                : throw new ModelException($"{graph.Source}: node '{node.Name}' ({node.OpType}) reads '{name}', which no earlier node, input or initializer provides");
            inputConstants[i] = constants.GetValueOrDefault(name);
        }

        try
        {
            return Create(new LayerContext(node, graph.Opset, inputShapes, inputConstants));
        }
        catch (ArgumentException e)
        {
            throw new ModelException($"{graph.Source}: node '{node.Name}' ({node.OpType}): {e.Message}", e);
        }
        catch (UnsupportedModelException e)
        {
            throw new UnsupportedModelException($"{graph.Source}: {e.Message}", e);
        }
        catch (ModelException e)
        {
            throw new ModelException($"{graph.Source}: {e.Message}", e);
        }
    }

    public static LayerPlan Create(LayerContext ctx) =>
        Factories.TryGetValue(ctx.Node.OpType, out var create)
            ? create(ctx)
            : throw ctx.Unsupported($"op {ctx.Node.OpType}");
}
