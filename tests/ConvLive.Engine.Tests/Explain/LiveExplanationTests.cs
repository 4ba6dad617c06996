// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Explain;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Live;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Ops;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Explain;

/// <summary>The live view's explanation of a frame equals <c>explain</c>'s on the same preprocessed frame.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class LiveExplanationTests(DeviceFixture devices) : IDisposable
{
    private readonly TempFolder _folder = new();

    [SkippableTheory]
    [InlineData("cpu", ExplainMethod.Gradient)]
    [InlineData("cpu", ExplainMethod.Guided)]
    [InlineData("cpu", ExplainMethod.GradCam)]
    [InlineData("ilgpu-cpu", ExplainMethod.GradCam)]
    public void TheLiveHeatEqualsExplainOnTheSameInput(string device, ExplainMethod method)
    {
        using var h = BackendHarness.Open(devices, device);
        var graph = OnnxLoader.Load(SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 3, size: 99, width: 0.0625), _folder.File("zoo.onnx")));
        var spec = new InputSpec { Size = 99, Resize = 99, Channels = "BGR", Mean = [103.939f, 116.779f, 123.68f] };
        using var live = LiveModel.Open(h.Backend, "alexnet", graph, null, spec, null);
        const int W = 160, H = 120;
        var frame = new byte[W * H * 3];
        for (var i = 0; i < frame.Length; i++)
        {
            frame[i] = (byte)(128 + (100 * Math.Sin(i * 0.013) * Math.Cos(i % (W * 3) * 0.02)));
        }

        var atlas = new byte[live.AtlasWidth * live.AtlasHeight];
        var output = new float[live.OutputLength];
        live.Run(frame, W, H, atlas, output);
        var heat = new float[live.ExplanationLength];
        live.Explain(method, 5, heat); // another class first: the live view follows the top class frame by frame
        var (w, hh) = live.Explain(method, Classification.ArgMax(output), heat);

        var x = new float[3 * 99 * 99];
        h.Backend.Download(x, live.Tensor(graph.Inputs[0].Name));
        using var alone = CompiledModel.Compile(graph, h.Backend);
        alone.SetInput(graph.Inputs[0].Name, x);
        alone.Run();
        using var explainer = Explainer.ForClass(alone, Classification.ArgMax(output));
        var shape = explainer.MapShape(method);
        var map = new float[shape.Length];
        explainer.Compute(method, map);
        var expected = new float[w * hh];
        ExplanationHeat.From(map, method, hh, w, expected);

        Assert.Equal(method == ExplainMethod.GradCam ? (shape[1], shape[0]) : (99, 99), (w, hh));
        Assert.Contains(expected, v => v > 0.999f); // scaled to its maximum
        Numerics.AssertClose(expected, heat.AsSpan(0, w * hh), 1e-5, 1e-4, $"{device} {method} live heat");
    }

    [SkippableTheory]
    [InlineData("cpu", ExplainMethod.Guided)]
    [InlineData("cpu", ExplainMethod.GradCam)]
    public void AUnitsHeatEqualsExplainFromThatUnit(string device, ExplainMethod method)
    {
        using var h = BackendHarness.Open(devices, device);
        var (graph, live) = OpenAndRunOneFrame(h);
        using var _ = live;
        var heat = new float[live.ExplanationLength];
        live.ExplainUnit(method, "conv2_1", 1, null, heat);
        var (w, hh) = live.ExplainUnit(method, "conv2_1", 3, null, heat); // another channel of the same layer: reseeded, not replanned

        var x = new float[3 * 99 * 99];
        h.Backend.Download(x, live.Tensor(graph.Inputs[0].Name));
        using var alone = CompiledModel.Compile(graph, h.Backend);
        alone.SetInput(graph.Inputs[0].Name, x);
        alone.Run();
        using var explainer = Explainer.ForUnit(alone, "conv2_1", 3, camLayer: "conv2_1");
        var map = new float[explainer.MapShape(method).Length];
        explainer.Compute(method, map);
        var expected = new float[w * hh];
        ExplanationHeat.From(map, method, hh, w, expected);
        Assert.Contains(expected, v => v > 0.999f);
        Numerics.AssertClose(expected, heat.AsSpan(0, w * hh), 1e-5, 1e-4, $"{device} {method} unit heat");
    }

    [SkippableTheory]
    [InlineData("cpu", ExplainMethod.Gradient)]
    [InlineData("cpu", ExplainMethod.Guided)]
    [InlineData("cuda", ExplainMethod.Deconv)]
    public void AUnitAtAPositionIsExplainedFromThatOneElementAndOnlyItsReceptiveFieldLights(string device, ExplainMethod method)
    {
        using var h = BackendHarness.Open(devices, device);
        var (graph, live) = OpenAndRunOneFrame(h);
        using var _ = live;
        var heat = new float[live.ExplanationLength];
        live.ExplainUnit(method, "conv2_1", 3, null, heat); // the channel's sum first: the position reseeds the same plan
        var (w, hh) = live.ExplainUnit(method, "conv2_1", 3, (2, 1), heat);

        // The reference: the same backward seeded by hand with a one-hot at (channel 3, row 1, column 2).
        var x = new float[3 * 99 * 99];
        h.Backend.Download(x, live.Tensor(graph.Inputs[0].Name));
        using var alone = CompiledModel.Compile(graph, h.Backend);
        var input = graph.Inputs[0].Name;
        alone.SetInput(input, x);
        alone.Run();
        var shape = alone.ShapeOf("conv2_1");
        using var program = GradientProgram.Create(alone, "conv2_1", [input]);
        var seed = new float[shape.Length];
        seed[(((3 * shape[2]) + 1) * shape[3]) + 2] = 1;
        program.SetSeed(seed);
        program.Run(method switch { ExplainMethod.Guided => GradientRule.Guided, ExplainMethod.Deconv => GradientRule.Deconv, _ => GradientRule.Gradient });
        var map = new float[x.Length];
        program.Read(input, map);
        var expected = new float[w * hh];
        ExplanationHeat.From(map, method, hh, w, expected);
        Numerics.AssertClose(expected, heat.AsSpan(0, w * hh), 1e-5, 1e-4, $"{device} {method} heat of conv2_1:3@2,1");

        // One unit sees only its receptive field: no heat outside it, some inside.
        var field = ModelInspector.Inspect(graph, 99).Single(r => r.Name == graph.Nodes.Single(n => n.Outputs[0] == "conv2_1").Name);
        var (x0, x1) = field.FieldOf(2);
        var (y0, y1) = field.FieldOf(1);
        var inside = 0f;
        for (var i = 0; i < w * hh; i++)
        {
            int px = i % w, py = i / w;
            if (px < x0 || px > x1 || py < y0 || py > y1)
            {
                // Zero up to round-off (the heat is scaled to its maximum; Winograd's transforms leave ~1e-12).
                Assert.True(heat[i] <= 1e-6f, $"heat {heat[i]} at ({px}, {py}), outside the field [{x0}..{x1}]x[{y0}..{y1}]");
            }
            else
            {
                inside = Math.Max(inside, heat[i]);
            }
        }

        Assert.True(inside > 0.99f, $"the field's largest heat is {inside}");
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>A small seeded AlexNet (zoo layout, 99×99) opened live on the backend, one patterned frame run.</summary>
    private (ModelGraph Graph, LiveModel Live) OpenAndRunOneFrame(BackendHarness h)
    {
        var graph = OnnxLoader.Load(SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 4, size: 99, width: 0.0625), _folder.File("zoo.onnx")));
        var live = LiveModel.Open(h.Backend, "alexnet", graph, null, new InputSpec { Size = 99, Resize = 99 }, null);
        var frame = Enumerable.Range(0, 160 * 120 * 3).Select(i => (byte)(i * 7 % 256)).ToArray();
        live.Run(frame, 160, 120, new byte[live.AtlasWidth * live.AtlasHeight], new float[live.OutputLength]);
        return (graph, live);
    }
}
