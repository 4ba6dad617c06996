// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Explain;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Tests.Explain;

/// <summary>Grad-CAM's default layer, and explainers on models where it does not apply.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class ExplainerTests(DeviceFixture devices)
{
    [Fact]
    public void TheDefaultLayerIsTheReluThatActivatesTheLastConvolutionThroughNormalisationAndAResidualAdd()
    {
        var graph = Graph(
            N("conv", "Conv", ["x", "w"], ["c"], ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 })),
            N("bn", "BatchNormalization", ["c", "s", "o", "m", "v"], ["b"]),
            N("add", "Add", ["b", "x"], ["a"]),
            N("relu", "Relu", ["a"], ["r"]),
            N("pool", "GlobalAveragePool", ["r"], ["p"]),
            N("flatten", "Flatten", ["p"], ["y"]));
        Assert.Equal("r", Explainer.DefaultCamLayer(graph));
    }

    [SkippableFact]
    public void AReluInTheHeadIsNotTheConvolutionsAndTheGradientViewsStillWork()
    {
        var graph = Graph(
            N("conv", "Conv", ["x", "w"], ["c"], ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 })),
            N("tanh", "Tanh", ["c"], ["t"]),
            N("pool", "GlobalAveragePool", ["t"], ["p"]),
            N("flatten", "Flatten", ["p"], ["f"]),
            N("fc", "Gemm", ["f", "g", "gb"], ["h"], ("transB", 1L)),
            N("relu", "Relu", ["h"], ["y"]));
        Assert.Equal("c", Explainer.DefaultCamLayer(graph));

        using var h = BackendHarness.Open(devices, "cpu");
        using var model = CompiledModel.Compile(graph, h.Backend);
        model.SetInput("x", BackendHarness.Random(3 * 36, 1));
        model.Run();
        using var explainer = Explainer.ForClass(model, 1);
        var map = new float[explainer.MapShape(ExplainMethod.Gradient).Length];
        explainer.Compute(ExplainMethod.Gradient, map);
        Assert.Contains(map, v => v != 0f);
        var cam = new float[explainer.MapShape(ExplainMethod.GradCam).Length];
        explainer.Compute(ExplainMethod.GradCam, cam);
        Assert.Equal(36, cam.Length);
    }

    private static ModelGraph Graph(params Node[] nodes)
    {
        var init = new Dictionary<string, HostValue>
        {
            ["w"] = HostValue.Of(new TensorShape(3, 3, 3, 3), BackendHarness.Random(81, 2, 0.5f)),
            ["s"] = HostValue.Of(new TensorShape(3), [1f, 1.2f, 0.8f]),
            ["o"] = HostValue.Of(new TensorShape(3), [0.1f, 0f, -0.1f]),
            ["m"] = HostValue.Of(new TensorShape(3), [0f, 0.1f, 0f]),
            ["v"] = HostValue.Of(new TensorShape(3), [1f, 1f, 1f]),
            ["g"] = HostValue.Of(new TensorShape(4, 3), BackendHarness.Random(12, 3)),
            ["gb"] = HostValue.Of(new TensorShape(4), BackendHarness.Random(4, 4)),
        };
        return new ModelGraph("explainer-test", 13, nodes, [new GraphValue("x", ElementType.Float32, [1, 3, 6, 6])], [new GraphValue("y", ElementType.Float32, null)], init);
    }

    private static Node N(string name, string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes) =>
        new(name, op, inputs, outputs, new NodeAttributes(attributes.ToDictionary(a => a.Name, a => a.Value)));
}
