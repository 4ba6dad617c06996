// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests;

/// <summary>Conv→BatchNormalization folding and Conv→Relu fusion: same outputs, fewer nodes, and nothing fused that
/// something else reads.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class GraphFusionTests(DeviceFixture devices)
{
    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    public void FusedGraphComputesWhatTheOriginalComputes(string device)
    {
        // x → conv1 (no bias, 3×3: Winograd on the cpu) → bn1 → relu1 → conv2 (bias, 5×5) → relu2 → conv3 (1×1, two
        // outputs per group: the direct path) → bn3 → y. Every pair fuses; the result must not move.
        var graph = Chain(keepIntermediate: false);
        var fused = GraphFusion.Fuse(graph);
        Assert.Equal(["Conv+Relu", "Conv+Relu", "Conv"], fused.Nodes.Select(n => n.OpType));
        Assert.DoesNotContain("w1", fused.Initializers.Keys); // replaced by the folded copy, read by nothing else

        var x = BackendHarness.Random(1 * 16 * 12 * 12, 7);
        var expected = Run(device, graph, x, "y");
        var actual = Run(device, fused, x, "y");
        Numerics.AssertClose(expected, actual, 1e-4, 1e-4, $"{device}: fused vs unfused");
        Assert.Contains(expected, v => v < 0); // bn3 without a Relu after it: negative outputs survive
    }

    [Fact]
    public void ValuesSomethingElseReadsAreNotFusedAway()
    {
        var graph = Chain(keepIntermediate: true); // relu1's input is also a graph output
        var fused = GraphFusion.Fuse(graph, keep: ["c2"]);
        var ops = fused.Nodes.Select(n => n.OpType).ToList();

        // conv1→bn1 folds (c1 is not needed); bn1's output is a graph output, so relu1 stays; c2 is kept, so relu2
        // stays; conv3→bn3 folds.
        Assert.Equal(["Conv", "Relu", "Conv", "Relu", "Conv"], ops);
        Assert.Contains(fused.Nodes, n => n.Outputs.Contains("b1"));
        Assert.Contains(fused.Nodes, n => n.Outputs.Contains("c2"));

        var x = BackendHarness.Random(1 * 16 * 12 * 12, 8);
        foreach (var value in new[] { "b1", "c2", "y" })
        {
            Numerics.AssertClose(Run("cpu", graph, x, value), Run("cpu", fused, x, value), 1e-4, 1e-4, value);
        }
    }

    [Fact]
    public void BatchNormalizationInTrainingModeOrOnComputedWeightsIsLeftAlone()
    {
        var graph = Chain(keepIntermediate: false);
        var training = graph with
        {
            Nodes = graph.Nodes.Select(n => n.Name == "bn1" ? n with { Attributes = Attributes(("epsilon", 1e-5f), ("training_mode", 1L)) } : n).ToList(),
        };
        Assert.Contains(GraphFusion.Fuse(training).Nodes, n => n.Name == "bn1");

        var computedScale = graph with { Initializers = graph.Initializers.Where(i => i.Key != "s1").ToDictionary() };
        Assert.Contains(GraphFusion.Fuse(computedScale).Nodes, n => n.Name == "bn1");
    }

    private float[] Run(string device, ModelGraph graph, float[] x, string value)
    {
        using var h = BackendHarness.Open(devices, device);
        using var model = CompiledModel.Compile(graph, h.Backend);
        model.SetInput("x", x);
        model.Run();
        var y = new float[model.ShapeOf(value).Length];
        model.Read(value, y);
        return y;
    }

    private static ModelGraph Chain(bool keepIntermediate)
    {
        var init = new Dictionary<string, HostValue>
        {
            ["w1"] = Values(new TensorShape(24, 16, 3, 3), 1, 0.2f),
            ["s1"] = Values(new TensorShape(24), 2, 1f, 1.5f),
            ["o1"] = Values(new TensorShape(24), 3, 0.5f),
            ["m1"] = Values(new TensorShape(24), 4, 0.3f),
            ["v1"] = Values(new TensorShape(24), 5, 0.4f, 0.6f),
            ["w2"] = Values(new TensorShape(32, 24, 5, 5), 6, 0.1f),
            ["bias2"] = Values(new TensorShape(32), 7, 0.2f),
            ["w3"] = Values(new TensorShape(4, 16, 1, 1), 8, 0.3f),
            ["s3"] = Values(new TensorShape(4), 9, 1f, 1.5f),
            ["o3"] = Values(new TensorShape(4), 10, 0.5f),
            ["m3"] = Values(new TensorShape(4), 11, 0.3f),
            ["v3"] = Values(new TensorShape(4), 12, 0.4f, 0.6f),
        };
        var pads1 = Attributes(("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }));
        var pads2 = Attributes(("kernel_shape", new long[] { 5, 5 }), ("pads", new long[] { 2, 2, 2, 2 }));
        var nodes = new List<Node>
        {
            new("conv1", "Conv", ["x", "w1"], ["c1"], pads1),
            new("bn1", "BatchNormalization", ["c1", "s1", "o1", "m1", "v1"], ["b1"], Attributes(("epsilon", 1e-3f))),
            new("relu1", "Relu", ["b1"], ["r1"], Attributes()),
            new("conv2", "Conv", ["r1", "w2", "bias2"], ["c2"], pads2),
            new("relu2", "Relu", ["c2"], ["r2"], Attributes()),
            new("conv3", "Conv", ["r2", "w3"], ["c3"], Attributes(("group", 2L))),
            new("bn3", "BatchNormalization", ["c3", "s3", "o3", "m3", "v3"], ["y"], Attributes()),
        };
        GraphValue[] outputs = keepIntermediate
            ? [new("y", ElementType.Float32, null), new("b1", ElementType.Float32, null)]
            : [new("y", ElementType.Float32, null)];
        return new ModelGraph("fusion-test", 13, nodes, [new GraphValue("x", ElementType.Float32, [1, 16, 12, 12])], outputs, init);
    }

    private static HostValue Values(TensorShape shape, int seed, float scale, float offset = 0f) =>
        HostValue.Of(shape, BackendHarness.Random(shape.Length, seed, scale).Select(v => v + offset).ToArray());

    private static NodeAttributes Attributes(params (string Name, object Value)[] values) =>
        new(values.ToDictionary(v => v.Name, v => v.Value));
}
