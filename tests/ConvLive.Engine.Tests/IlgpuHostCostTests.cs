// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends.Ilgpu;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests;

/// <summary>What a forward costs the host on an ILGPU device: its kernels go on the stream and nothing waits for
/// them until the output is read (the counters <c>bench</c> prints per forward).</summary>
[Collection(DevicesDefinition.Name)]
public sealed class IlgpuHostCostTests(DeviceFixture devices, Xunit.Abstractions.ITestOutputHelper log) : IDisposable
{
    private readonly TempFolder _folder = new();

    [SkippableFact]
    public void AForwardLaunchesItsKernelsAndTheHostWaitsOnlyToReadTheOutput()
    {
        using var h = BackendHarness.Open(devices, "ilgpu-cpu");
        var proto = SeededAlexNet.Torchvision(seed: 42, 115, 0.0625);
        var graph = OnnxLoader.Load(SeededAlexNet.Save(proto, _folder.File("alexnet.onnx")));
        using var model = CompiledModel.Compile(graph, h.Backend);
        model.SetInput(graph.Inputs[0].Name, BackendHarness.Random(3 * 115 * 115, 3));
        model.Run(); // warm
        var backend = (IlgpuBackend)h.Backend;
        var output = new float[1000];
        model.Read(graph.Outputs[0].Name, output);

        var (launches, syncs) = (backend.Launches, backend.HostSyncs);
        model.Run();
        var (runLaunches, runSyncs) = (backend.Launches - launches, backend.HostSyncs - syncs);
        model.Read(graph.Outputs[0].Name, output);

        log.WriteLine($"AlexNet (torchvision layout, {graph.Nodes.Count} nodes) on ilgpu-cpu: {runLaunches} kernel launches and {runSyncs} host waits a forward; reading the output waited {backend.HostSyncs - syncs - runSyncs} time(s)");

        // Every node that computes launches a kernel: a Conv one (an implicit GEMM, no im2col launch), a Gemm with a bias
        // two (the bias broadcast into the output, then the product); none waits.
        var computing = graph.Nodes.Count(n => n.OpType is "Conv" or "Relu" or "MaxPool" or "Gemm");
        var gemms = graph.Nodes.Count(n => n.OpType == "Gemm");
        Assert.InRange(runLaunches, computing, graph.Nodes.Count + gemms);
        Assert.Equal(0, runSyncs);
        Assert.Equal(1, backend.HostSyncs - syncs); // the read
    }

    [SkippableFact]
    public void AConvolutionIsOneLaunchForEveryImageAndGroup()
    {
        // Two images, two groups, many outputs a group (the implicit GEMM, not the few-output direct kernel): one
        // launch (before, an im2col and a GEMM per image and group: 8).
        using var h = BackendHarness.Open(devices, "ilgpu-cpu");
        var p = Ops.Conv.ConvOpTests.RandomConv(17) with { N = 2 };
        var win = p.Window;
        var x = h.Upload(BackendHarness.Random(p.N * p.C * p.H * p.W, 1), p.N, p.C, p.H, p.W);
        var w = h.Upload(BackendHarness.Random(p.M * p.GroupInputs * win.KernelH * win.KernelW, 2), p.M, p.GroupInputs, win.KernelH, win.KernelW);
        var y = h.Empty(p.OutputShape);
        var backend = (IlgpuBackend)h.Backend;
        var launches = backend.Launches;

        h.Backend.Conv(y, x, w, null, p);

        Assert.True(p.Groups > 1 && p.GroupOutputs > 4, $"the case should have groups and many outputs: {p}");
        Assert.Equal(1, backend.Launches - launches);
    }

    [SkippableFact]
    public void CountingWithoutRunningGivesARealForwardsCountsAndRunsNothing()
    {
        // A residual block (Conv+BatchNormalization+Relu, Conv, Add with the block's input, Relu, pools) and AlexNet:
        // the walk's counts equal a real forward's, and the output is not touched while counting.
        using var h = BackendHarness.Open(devices, "ilgpu-cpu");
        var backend = (IlgpuBackend)h.Backend;
        foreach (var graph in new[] { ResidualBlock(), OnnxLoader.Load(SeededAlexNet.Save(SeededAlexNet.Torchvision(seed: 42, 115, 0.0625), _folder.File("alexnet.onnx"))) })
        {
            foreach (var fused in new[] { false, true })
            {
                using var model = CompiledModel.Compile(fused ? GraphFusion.Fuse(graph) : graph, h.Backend);
                var inputLength = model.ShapeOf(graph.Inputs[0].Name).Length;
                var output = new float[model.ShapeOf(graph.Outputs[0].Name).Length];
                model.SetInput(graph.Inputs[0].Name, BackendHarness.Random(inputLength, 3));
                model.Run(); // warm
                model.Read(graph.Outputs[0].Name, output);

                var (launches, syncs) = (backend.Launches, backend.HostSyncs);
                model.Run();
                model.Read(graph.Outputs[0].Name, output);
                var real = (backend.Launches - launches, backend.HostSyncs - syncs);

                model.SetInput(graph.Inputs[0].Name, BackendHarness.Random(inputLength, 4));
                backend.CountOnly = true;
                (launches, syncs) = (backend.Launches, backend.HostSyncs);
                model.Run();
                var walked = new float[output.Length];
                model.Read(graph.Outputs[0].Name, walked);
                var counted = (backend.Launches - launches, backend.HostSyncs - syncs);
                backend.CountOnly = false;

                log.WriteLine($"{graph.Source}{(fused ? " fused" : string.Empty)}: a real forward {real}, walked {counted} (launches, host waits)");
                Assert.True(real.Item1 >= graph.Nodes.Count(n => n.OpType == "Conv"), $"{graph.Source}: {real.Item1} launches");
                Assert.Equal(real, counted);
                Assert.Equal(output, walked); // the new input's forward did not run

                model.Run();
                model.Read(graph.Outputs[0].Name, walked);
                Assert.NotEqual(output, walked); // and runs again once counting is off
            }
        }
    }

    private static ModelGraph ResidualBlock()
    {
        static HostValue Values(TensorShape shape, int seed, float scale, float offset = 0f) =>
            HostValue.Of(shape, BackendHarness.Random(shape.Length, seed, scale).Select(v => v + offset).ToArray());
        var init = new Dictionary<string, HostValue>
        {
            ["w0"] = Values(new TensorShape(16, 3, 7, 7), 1, 0.2f),
            ["w1"] = Values(new TensorShape(16, 16, 3, 3), 2, 0.2f),
            ["s1"] = Values(new TensorShape(16), 3, 0.5f, 1f),
            ["o1"] = Values(new TensorShape(16), 4, 0.5f),
            ["m1"] = Values(new TensorShape(16), 5, 0.3f),
            ["v1"] = Values(new TensorShape(16), 6, 0.4f, 0.6f),
            ["w2"] = Values(new TensorShape(16, 16, 3, 3), 7, 0.2f),
            ["b2"] = Values(new TensorShape(16), 8, 0.2f),
        };
        var k3 = Attributes(("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }));
        var nodes = new List<Node>
        {
            new("stem", "Conv", ["x", "w0"], ["c0"], Attributes(("kernel_shape", new long[] { 7, 7 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 3, 3, 3, 3 }))),
            new("stemrelu", "Relu", ["c0"], ["r0"], Attributes()),
            new("pool", "MaxPool", ["r0"], ["p0"], Attributes(("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }))),
            new("conv1", "Conv", ["p0", "w1"], ["c1"], k3),
            new("bn1", "BatchNormalization", ["c1", "s1", "o1", "m1", "v1"], ["n1"], Attributes()),
            new("relu1", "Relu", ["n1"], ["r1"], Attributes()),
            new("conv2", "Conv", ["r1", "w2", "b2"], ["c2"], k3),
            new("add", "Add", ["c2", "p0"], ["a"], Attributes()),
            new("relu2", "Relu", ["a"], ["r2"], Attributes()),
            new("avg", "GlobalAveragePool", ["r2"], ["y"], Attributes()),
        };
        return new ModelGraph("residual-block", 13, nodes, [new GraphValue("x", ElementType.Float32, [1, 3, 32, 32])], [new GraphValue("y", ElementType.Float32, null)], init);
    }

    private static NodeAttributes Attributes(params (string Name, object Value)[] values) => new(values.ToDictionary(v => v.Name, v => v.Value));

    public void Dispose() => _folder.Dispose();
}
