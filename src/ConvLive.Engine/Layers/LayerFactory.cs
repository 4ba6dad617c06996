// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Layers;

/// <summary>Maps ONNX op types to the layers that implement them.</summary>
internal static class LayerFactory
{
    private static readonly Dictionary<string, Func<LayerContext, LayerPlan>> Factories = new(StringComparer.Ordinal)
    {
        ["Conv"] = ConvLayer.Create,
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

    public static LayerPlan Create(LayerContext ctx) =>
        Factories.TryGetValue(ctx.Node.OpType, out var create)
            ? create(ctx)
            : throw ctx.Unsupported($"op {ctx.Node.OpType}");
}
