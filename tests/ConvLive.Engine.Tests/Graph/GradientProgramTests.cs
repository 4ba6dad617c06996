// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Graph;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ConvLive.Engine.Tests.Ops;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Graph;

/// <summary>
/// Reverse mode over whole graphs: a graph that uses every claimed op (views, a split, a value read twice, a Sum
/// of one value with itself), differentiated with respect to its input and every parameter at once and checked
/// against finite differences of the forward pass.
/// </summary>
[Collection(DevicesDefinition.Name)]
public sealed class GradientProgramTests(DeviceFixture devices)
{
    private static readonly string[] Parameters = ["w1", "b1", "s", "o", "W2", "c2", "d", "M", "e"];

    public static TheoryData<string> Devices => BackendHarness.Devices;

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void EveryOpsGradientThroughOneGraphMatchesFiniteDifferences(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var graph = EveryOp();
        var values = Inputs(graph);
        var dy = BackendHarness.Random(3, 40);
        using var model = CompiledModel.Compile(graph, h.Backend);
        using var program = GradientProgram.Create(model, "y", ["x", .. Parameters]);
        Set(model, values);
        model.Run();
        program.SetSeed(dy);
        program.Run();

        // The forward in float on the cpu backend, perturbed one input element at a time.
        using var cpu = BackendHarness.Open(devices, "cpu");
        using var reference = CompiledModel.Compile(graph, cpu.Backend);
        foreach (var name in values.Keys)
        {
            var analytic = new float[values[name].Length];
            program.Read(name, analytic);
            GradientCheck.AssertMatchesFiniteDifferences(analytic, v =>
            {
                Set(reference, values, name, v);
                reference.Run();
                var y = new float[3];
                reference.Read("y", y);
                return y;
            }, values[name], dy, $"{device} d y/d {name}", step: 1e-2f, rtol: 2e-2);
        }

        // Running again gives the same gradients (buffers are written, never left to accumulate).
        var first = new float[values["x"].Length];
        program.Read("x", first);
        program.Run();
        var second = new float[first.Length];
        program.Read("x", second);
        Numerics.AssertClose(first, second, 0, 0, $"{device} a second run");
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void AFusedConvReluHasTheGradientOfThePair(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var graph = ConvRelu();
        var fused = GraphFusion.Fuse(graph);
        Assert.Contains(fused.Nodes, n => n.OpType == GraphFusion.ConvRelu);
        var x = BackendHarness.Random(3 * 36, 50);
        foreach (var rule in Enum.GetValues<GradientRule>())
        {
            Numerics.AssertClose(ElementGradient(h, graph, x, rule, "x", 7), ElementGradient(h, fused, x, rule, "x", 7), 1e-6, 1e-5, $"{device} {rule}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void AFusedResidualConvHasTheGradientOfConvAddRelu(string device)
    {
        // x → conv → Add(·, x) → Relu: x reaches the output twice (through the convolution and as the skip), and the
        // fused node's input 3 is x itself, so its gradient sums both paths.
        using var h = BackendHarness.Open(devices, device);
        var graph = ConvAddRelu();
        var fused = GraphFusion.Fuse(graph);
        Assert.Equal(["Conv+Add+Relu", "Flatten"], fused.Nodes.Select(n => n.OpType));
        var x = BackendHarness.Random(3 * 36, 52);
        float[] Gradient(ModelGraph g, GradientRule rule, string of, int seed) => ElementGradient(h, g, x, rule, of, seed);

        foreach (var rule in Enum.GetValues<GradientRule>())
        {
            foreach (var seed in new[] { 7, 40, 101 })
            {
                Numerics.AssertClose(Gradient(graph, rule, "x", seed), Gradient(fused, rule, "x", seed), 1e-6, 1e-5, $"{device} {rule} dx, seed {seed}");
                Numerics.AssertClose(Gradient(graph, rule, "w", seed), Gradient(fused, rule, "w", seed), 1e-6, 1e-5, $"{device} {rule} dw, seed {seed}");
            }
        }

        // And against finite differences of the fused forward: output 40's gradient with respect to x.
        using var reference = CompiledModel.Compile(fused, h.Backend);
        var dy = Enumerable.Range(0, 3 * 36).Select(i => i == 40 ? 1f : 0f).ToArray();
        GradientCheck.AssertMatchesFiniteDifferences(Gradient(fused, GradientRule.Gradient, "x", 40), v =>
        {
            reference.SetInput("x", v);
            reference.Run();
            var y = new float[dy.Length];
            reference.Read("y", y);
            return y;
        }, x, dy, $"{device} fused residual");
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void AChannelSeedOnAMiddleValueGivesTheGradientOfThatChannelsSum(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var graph = ConvRelu();
        var x = BackendHarness.Random(3 * 36, 51);
        using var model = CompiledModel.Compile(graph, h.Backend);
        using var program = GradientProgram.Create(model, "c", ["x", "c"]);
        model.SetInput("x", x);
        model.Run();
        program.SeedChannel(2);
        program.Run();
        var dc = new float[model.ShapeOf("c").Length];
        program.Read("c", dc);
        var spatial = dc.Length / 4;
        Assert.All(Enumerable.Range(0, dc.Length), i => Assert.Equal(i / spatial == 2 ? 1f : 0f, dc[i]));

        using var cpu = BackendHarness.Open(devices, "cpu");
        using var reference = CompiledModel.Compile(graph, cpu.Backend);
        var analytic = new float[x.Length];
        program.Read("x", analytic);
        var seed = Enumerable.Range(0, dc.Length).Select(i => i / spatial == 2 ? 1f : 0f).ToArray();
        GradientCheck.AssertMatchesFiniteDifferences(analytic, v =>
        {
            reference.SetInput("x", v);
            reference.Run();
            var c = new float[dc.Length];
            reference.Read("c", c);
            return c;
        }, x, seed, $"{device} channel seed");
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void GemmGradientsEqualTheReferenceForEveryTransposeAndBiasLayout(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        foreach (var (ta, tb, cDims) in new[] { (false, false, new long[] { 4 }), (true, false, new long[] { 3, 1 }), (false, true, new long[] { 3, 4 }), (true, true, new long[] { 1 }) })
        {
            long[] aDims = ta ? [5, 3] : [3, 5], bDims = tb ? [4, 5] : [5, 4];
            var graph = new ModelGraph("gemm", 13, [N("gemm", "Gemm", ["a", "b", "c"], ["y"], ("transA", ta ? 1L : 0L), ("transB", tb ? 1L : 0L), ("alpha", 0.7f), ("beta", 1.3f))],
                [In("a", aDims), In("b", bDims), In("c", cDims)], [new GraphValue("y", ElementType.Float32, null)], new Dictionary<string, HostValue>());
            float[] a = BackendHarness.Random(15, 1), b = BackendHarness.Random(20, 2), c = BackendHarness.Random((int)cDims.Aggregate(1L, (x, y) => x * y), 3), dy = BackendHarness.Random(12, 4);
            using var model = CompiledModel.Compile(graph, h.Backend);
            using var program = GradientProgram.Create(model, "y", ["a", "b", "c"]);
            model.SetInput("a", a);
            model.SetInput("b", b);
            model.SetInput("c", c);
            model.Run();
            program.SetSeed(dy);
            program.Run();
            var layout = cDims.Length == 1 && cDims[0] == 1 ? BiasLayout.Scalar : cDims.Length == 1 ? BiasLayout.Row : cDims[1] == 1 ? BiasLayout.Column : BiasLayout.Full;
            var (da, db, dc) = Reference.ReferenceOps.GemmBackward(dy, a, b, c.Length, new GemmParams(3, 4, 5, ta, tb, 0.7f, 1.3f, layout));
            foreach (var (name, expected) in new[] { ("a", da), ("b", db), ("c", dc) })
            {
                var actual = new float[expected.Length];
                program.Read(name, actual);
                Numerics.AssertClose(expected, actual, 1e-5, 1e-4, $"{device} transA={ta} transB={tb} C {string.Join('x', cDims)}: d{name}");
            }
        }
    }

    [Fact]
    public void PlanningNamesWhatIsWrong()
    {
        using var cpu = BackendHarness.Open(devices, "cpu");
        var graph = EveryOp();
        using var model = CompiledModel.Compile(graph, cpu.Backend);
        var unknown = Assert.Throws<ModelException>(() => GradientProgram.Create(model, "y", ["nope"]));
        Assert.Contains("'nope'", unknown.Message, StringComparison.Ordinal);
        var independent = Assert.Throws<ModelException>(() => GradientProgram.Create(model, "c1", ["W2"]));
        Assert.Contains("does not depend on", independent.Message, StringComparison.Ordinal);
        var statistics = Assert.Throws<ModelException>(() => GradientProgram.Create(model, "y", ["m"]));
        Assert.Contains("'bn' (BatchNormalization) has no gradient with respect to its input 3 ('m')", statistics.Message, StringComparison.Ordinal);
        using var program = GradientProgram.Create(model, "y", ["x"]);
        Assert.Throws<ArgumentOutOfRangeException>(() => program.SeedElement(3));
        Assert.Throws<ArgumentException>(() => program.SetSeed(new float[4]));
    }

    /// <summary>Conv → LeakyRelu → LRN → BN → Relu → Add(·, conv) → MaxPool → Split → Transpose → Mul → Concat →
    /// AveragePool → Tanh → Flatten → Gemm → Sigmoid → Div → Sub → Unsqueeze → MatMul → Squeeze → Sum → Identity →
    /// Dropout → LogSoftmax.</summary>
    private static ModelGraph EveryOp()
    {
        var nodes = new List<Node>
        {
            N("conv", "Conv", ["x", "w1", "b1"], ["c1"], ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 })),
            N("leaky", "LeakyRelu", ["c1"], ["r1"], ("alpha", 0.1f)),
            N("lrn", "LRN", ["r1"], ["l1"], ("size", 3L), ("alpha", 0.5f), ("beta", 0.75f), ("bias", 1f)),
            N("bn", "BatchNormalization", ["l1", "s", "o", "m", "v"], ["bn1"]),
            N("relu", "Relu", ["bn1"], ["rb"]),
            N("add", "Add", ["rb", "c1"], ["a1"]),
            N("maxpool", "MaxPool", ["a1"], ["p1"], ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })),
            N("split", "Split", ["p1", "sizes"], ["sp0", "sp1"], ("axis", 1L)),
            N("transpose", "Transpose", ["sp1"], ["t1"], ("perm", new long[] { 0, 1, 3, 2 })),
            N("mul", "Mul", ["t1", "sp0"], ["m1"]),
            N("concat", "Concat", ["m1", "sp0"], ["cat"], ("axis", 1L)),
            N("avgpool", "AveragePool", ["cat"], ["ap"], ("kernel_shape", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 })),
            N("tanh", "Tanh", ["ap"], ["th"]),
            N("flatten", "Flatten", ["th"], ["f"]),
            N("gemm", "Gemm", ["f", "W2", "c2"], ["g1"], ("transB", 1L), ("alpha", 0.8f), ("beta", 1.2f)),
            N("sigmoid", "Sigmoid", ["g1"], ["sg"]),
            N("div", "Div", ["sg", "d"], ["dv"]),
            N("sub", "Sub", ["dv", "g1"], ["sb"]),
            N("unsqueeze", "Unsqueeze", ["sb", "axes"], ["u"]),
            N("matmul", "MatMul", ["u", "M"], ["mm"]),
            N("squeeze", "Squeeze", ["mm", "axes"], ["sq"]),
            N("sum", "Sum", ["sq", "sq", "e"], ["su"]),
            N("identity", "Identity", ["su"], ["id"]),
            N("dropout", "Dropout", ["id"], ["dr"]),
            N("logsoftmax", "LogSoftmax", ["dr"], ["y"]),
        };
        var init = new Dictionary<string, HostValue>
        {
            ["m"] = HostValue.Of(new TensorShape(4), BackendHarness.Random(4, 20, 0.3f)),
            ["v"] = HostValue.Of(new TensorShape(4), BackendHarness.Random(4, 21, 0.2f).Select(v => v + 1f).ToArray()),
            ["sizes"] = HostValue.Of(new TensorShape(2), new long[] { 1, 3 }),
            ["axes"] = HostValue.Of(new TensorShape(1), new long[] { 0 }),
        };
        GraphValue[] inputs =
        [
            In("x", 1, 3, 6, 6), In("w1", 4, 3, 3, 3), In("b1", 4), In("s", 4), In("o", 4), In("W2", 5, 64), In("c2", 5),
            In("d", 5), In("M", 5, 3), In("e", 1, 3),
        ];
        return new ModelGraph("every-op", 13, nodes, inputs, [new GraphValue("y", ElementType.Float32, null)], init);
    }

    /// <summary>x (1,3,6,6) → Conv (4 channels) → Relu → Flatten.</summary>
    private static ModelGraph ConvRelu()
    {
        var nodes = new List<Node>
        {
            N("conv", "Conv", ["x", "w", "b"], ["c"], ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 })),
            N("relu", "Relu", ["c"], ["r"]),
            N("flatten", "Flatten", ["r"], ["y"]),
        };
        var init = new Dictionary<string, HostValue>
        {
            ["w"] = HostValue.Of(new TensorShape(4, 3, 3, 3), BackendHarness.Random(108, 30, 0.5f)),
            ["b"] = HostValue.Of(new TensorShape(4), BackendHarness.Random(4, 31, 0.2f)),
        };
        return new ModelGraph("conv-relu", 13, nodes, [In("x", 1, 3, 6, 6)], [new GraphValue("y", ElementType.Float32, null)], init);
    }

    /// <summary>The gradient of output element <paramref name="seed"/> of "y" with respect to <paramref name="of"/>
    /// ("x" or "w"), at input x.</summary>
    private static float[] ElementGradient(BackendHarness h, ModelGraph g, float[] x, GradientRule rule, string of, int seed)
    {
        using var model = CompiledModel.Compile(g, h.Backend);
        using var program = GradientProgram.Create(model, "y", ["x", "w"]);
        model.SetInput("x", x);
        model.Run();
        program.SeedElement(seed);
        program.Run(rule);
        var d = new float[model.ShapeOf(of).Length];
        program.Read(of, d);
        return d;
    }

    private static ModelGraph ConvAddRelu()
    {
        var nodes = new List<Node>
        {
            N("conv", "Conv", ["x", "w", "b"], ["c"], ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 })),
            N("add", "Add", ["c", "x"], ["s"]),
            N("relu", "Relu", ["s"], ["r"]),
            N("flatten", "Flatten", ["r"], ["y"]),
        };
        var init = new Dictionary<string, HostValue>
        {
            ["w"] = HostValue.Of(new TensorShape(3, 3, 3, 3), BackendHarness.Random(81, 32, 0.5f)),
            ["b"] = HostValue.Of(new TensorShape(3), BackendHarness.Random(3, 33, 0.2f)),
        };
        return new ModelGraph("conv-add-relu", 13, nodes, [In("x", 1, 3, 6, 6)], [new GraphValue("y", ElementType.Float32, null)], init);
    }

    private static Dictionary<string, float[]> Inputs(ModelGraph graph)
    {
        var values = new Dictionary<string, float[]>();
        var seed = 10;
        foreach (var input in graph.Inputs)
        {
            var length = input.Dims!.Aggregate(1L, (a, b) => a * b!.Value);
            var v = BackendHarness.Random((int)length, seed++, 1f);
            values[input.Name] = input.Name switch
            {
                "s" => v.Select(a => a + 1.5f).ToArray(),
                "d" => v.Select(a => a >= 0 ? a + 1f : a - 1f).ToArray(),
                _ => v,
            };
        }

        return values;
    }

    private static void Set(CompiledModel model, Dictionary<string, float[]> values, string? replace = null, float[]? with = null)
    {
        foreach (var (name, v) in values)
        {
            model.SetInput(name, name == replace ? with! : v);
        }
    }

    private static GraphValue In(string name, params long[] dims) => new(name, ElementType.Float32, dims.Select(d => (long?)d).ToList());

    private static Node N(string name, string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes) =>
        new(name, op, inputs, outputs, new NodeAttributes(attributes.ToDictionary(a => a.Name, a => a.Value)));
}
