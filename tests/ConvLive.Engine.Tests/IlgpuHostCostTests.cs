// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends.Ilgpu;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
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

    public void Dispose() => _folder.Dispose();
}
