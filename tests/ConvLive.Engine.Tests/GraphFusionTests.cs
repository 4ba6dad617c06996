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

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    public void ResidualAddsAndTheirRelusBecomeTheConvsStore(string device)
    {
        // Two residual blocks (an identity skip; a stride-2 block whose projection is computed after its main path)
        // and an Add that broadcasts (a pooled (1,24,1,1) value): the first two fuse, the broadcast one does not.
        var graph = Residual();
        var fused = GraphFusion.Fuse(graph);
        Assert.Equal(["Conv+Relu", "Conv+Add+Relu", "Conv+Relu", "Conv", "Conv+Add+Relu", "Conv", "GlobalAveragePool", "Add"], fused.Nodes.Select(n => n.OpType));
        Assert.Equal("x", fused.Nodes[1].Inputs[3]); // the skip, after the folded bias
        Assert.NotEmpty(fused.Nodes[1].Inputs[2]);
        Assert.Equal("bp", fused.Nodes[4].Inputs[3]); // the projection, computed before the fused node that reads it

        var x = BackendHarness.Random(1 * 16 * 10 * 10, 9);
        foreach (var value in new[] { "y", "r2" })
        {
            var expected = Run(device, graph, x, value);
            Numerics.AssertClose(expected, Run(device, fused, x, value), 1e-4, 1e-4, $"{device}: {value} fused vs unfused");
        }
    }

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    public void AnAddWithTheConvSecondAndNoBiasFusesToo(string device)
    {
        // Add(x, conv(x)) with a bias-free Conv and no Relu after it: the Conv is the Add's second operand, input 2
        // stays empty, and x + c = c + x bit for bit.
        var init = new Dictionary<string, HostValue> { ["w"] = Values(new TensorShape(16, 16, 3, 3), 30, 0.2f) };
        var graph = new ModelGraph("add-second", 13, [
            new Node("conv", "Conv", ["x", "w"], ["c"], Attributes(("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }))),
            new Node("add", "Add", ["x", "c"], ["y"], Attributes()),
        ], [new GraphValue("x", ElementType.Float32, [1, 16, 8, 8])], [new GraphValue("y", ElementType.Float32, null)], init);
        var fused = GraphFusion.Fuse(graph);
        var node = Assert.Single(fused.Nodes);
        Assert.Equal(GraphFusion.ConvAdd, node.OpType);
        Assert.Equal(["x", "w", string.Empty, "x"], node.Inputs);

        var x = BackendHarness.Random(16 * 8 * 8, 31);
        Numerics.AssertClose(Run(device, graph, x, "y"), Run(device, fused, x, "y"), 0, 0, $"{device}: Add(x, conv) fused");
    }

    [Fact]
    public void AnAddIsNotFusedWhereAnInputsShapeIsSymbolic()
    {
        // (N, 16, 8, 8) with N unknown: the Add may broadcast at the size it runs at, so it stays; given the shape, it fuses.
        var init = new Dictionary<string, HostValue> { ["w"] = Values(new TensorShape(16, 16, 1, 1), 32, 0.2f) };
        var graph = new ModelGraph("symbolic", 13, [
            new Node("conv", "Conv", ["x", "w"], ["c"], Attributes()),
            new Node("add", "Add", ["c", "x"], ["y"], Attributes()),
        ], [new GraphValue("x", ElementType.Float32, [null, 16, 8, 8])], [new GraphValue("y", ElementType.Float32, null)], init);
        Assert.Equal(["Conv", "Add"], GraphFusion.Fuse(graph).Nodes.Select(n => n.OpType));
        Assert.Equal([GraphFusion.ConvAdd], GraphFusion.Fuse(graph, inputShapes: new Dictionary<string, TensorShape> { ["x"] = new(2, 16, 8, 8) }).Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void AResidualAddIsNotFusedWhereTheConvsOutputOrTheSumIsRead()
    {
        var graph = Residual();
        Assert.DoesNotContain(GraphFusion.Fuse(graph, keep: ["b2"]).Nodes, n => n.Name == "conv2" && n.OpType != "Conv"); // the conv's own output kept
        var kept = GraphFusion.Fuse(graph, keep: ["sum2"]); // the sum kept: the Add fuses, its Relu stays
        Assert.Contains(kept.Nodes, n => n.OpType == GraphFusion.ConvAdd && n.Outputs[0] == "sum2");
        Assert.Contains(kept.Nodes, n => n.Name == "relu2");
        var x = BackendHarness.Random(1 * 16 * 10 * 10, 10);
        Numerics.AssertClose(Run("cpu", graph, x, "sum2"), Run("cpu", kept, x, "sum2"), 1e-4, 1e-4, "sum2");
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

    private static ModelGraph Residual()
    {
        var init = new Dictionary<string, HostValue>();
        var nodes = new List<Node>();
        var seed = 20;
        var p3 = Attributes(("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }));
        var p3s2 = Attributes(("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }), ("strides", new long[] { 2, 2 }));
        void ConvBn(string name, string input, int c, int m, int k, NodeAttributes attributes, string output)
        {
            init[$"w{name}"] = Values(new TensorShape(m, c, k, k), seed++, 0.3f);
            init[$"s{name}"] = Values(new TensorShape(m), seed++, 0.2f, 1f);
            init[$"o{name}"] = Values(new TensorShape(m), seed++, 0.2f);
            init[$"m{name}"] = Values(new TensorShape(m), seed++, 0.2f);
            init[$"v{name}"] = Values(new TensorShape(m), seed++, 0.2f, 0.8f);
            nodes.Add(new($"conv{name}", "Conv", [input, $"w{name}"], [$"c{name}"], attributes));
            nodes.Add(new($"bn{name}", "BatchNormalization", [$"c{name}", $"s{name}", $"o{name}", $"m{name}", $"v{name}"], [output], Attributes()));
        }

        ConvBn("1", "x", 16, 16, 3, p3, "b1");
        nodes.Add(new("relu1", "Relu", ["b1"], ["r1"], Attributes()));
        ConvBn("2", "r1", 16, 16, 3, p3, "b2");
        nodes.Add(new("add2", "Add", ["b2", "x"], ["sum2"], Attributes()));
        nodes.Add(new("relu2", "Relu", ["sum2"], ["r2"], Attributes()));
        ConvBn("3", "r2", 16, 24, 3, p3s2, "b3");
        nodes.Add(new("relu3", "Relu", ["b3"], ["r3"], Attributes()));
        ConvBn("4", "r3", 24, 24, 3, p3, "b4");
        ConvBn("p", "r2", 16, 24, 1, Attributes(("strides", new long[] { 2, 2 })), "bp");
        nodes.Add(new("add4", "Add", ["b4", "bp"], ["sum4"], Attributes()));
        nodes.Add(new("relu4", "Relu", ["sum4"], ["r4"], Attributes()));
        init["w5"] = Values(new TensorShape(24, 24, 1, 1), seed++, 0.3f);
        nodes.Add(new("conv5", "Conv", ["r4", "w5"], ["c5"], Attributes()));
        nodes.Add(new("pool", "GlobalAveragePool", ["r4"], ["g"], Attributes()));
        nodes.Add(new("add5", "Add", ["c5", "g"], ["y"], Attributes()));
        return new ModelGraph("residual-fusion-test", 13, nodes, [new GraphValue("x", ElementType.Float32, [1, 16, 10, 10])], [new GraphValue("y", ElementType.Float32, null)], init);
    }

    private static HostValue Values(TensorShape shape, int seed, float scale, float offset = 0f) =>
        HostValue.Of(shape, BackendHarness.Random(shape.Length, seed, scale).Select(v => v + offset).ToArray());

    private static NodeAttributes Attributes(params (string Name, object Value)[] values) =>
        new(values.ToDictionary(v => v.Name, v => v.Value));
}
