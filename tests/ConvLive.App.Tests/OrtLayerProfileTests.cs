// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Cli;
using ConvLive.Engine.Graph;

namespace ConvLive.App.Tests;

/// <summary>Reading ONNX Runtime's profiler trace for <c>bench</c>'s per-layer comparison.</summary>
public sealed class OrtLayerProfileTests
{
    [Fact]
    public void KernelTimesAreMedianPerNodeAfterTheWarmUpRunsAndOtherEventsAreIgnored()
    {
        // Three runs of two nodes: the first run is warm-up (skipped); session events (one even named like a
        // kernel) and a node's "fence" event carry durations too and must not count.
        const string Trace = """
            [
              {"cat":"Session","name":"model_run","dur":9000},
              {"cat":"Session","name":"Conv1_kernel_time","dur":8000},
              {"cat":"Node","name":"Conv1_kernel_time","dur":5000},
              {"cat":"Node","name":"Conv1_fence_before","dur":7},
              {"cat":"Node","name":"ReLU2_Output_0_nchwc_kernel_time","dur":900},
              {"cat":"Node","name":"Conv1_kernel_time","dur":1000},
              {"cat":"Node","name":"ReLU2_Output_0_nchwc_kernel_time","dur":300},
              {"cat":"Node","name":"Conv1_kernel_time","dur":3000},
              {"cat":"Node","name":"ReLU2_Output_0_nchwc_kernel_time","dur":100}
            ]
            """;

        var medians = OrtLayerProfile.Read(Trace, skip: 1);

        Assert.Equal(2, medians.Count);
        Assert.Equal(3.0, medians["Conv1"], 9);                  // of 1 and 3 ms, the upper middle
        Assert.Equal(0.3, medians["ReLU2_Output_0_nchwc"], 9);
    }

    [Fact]
    public void AConvLiveNodeMatchesItsNameElseTheValueItWritesInEitherLayout()
    {
        var ort = new Dictionary<string, double>(StringComparer.Ordinal) { ["Conv1"] = 1, ["ReLU2_Output_0_nchwc"] = 2, ["Pool3_Output_0"] = 3 };

        Assert.Equal(1, OrtLayerProfile.Match(ort, "Conv1", ["Conv1_Output_0"]));
        Assert.Equal(2, OrtLayerProfile.Match(ort, "Convolution2", ["ReLU2_Output_0"]));
        Assert.Equal(3, OrtLayerProfile.Match(ort, "Pooling3", ["Pool3_Output_0"]));
        Assert.Null(OrtLayerProfile.Match(ort, "Convolution4", ["ReLU4_Output_0"]));

        // A node of the same name wins over one writing the same value.
        ort["Convolution5"] = 5;
        ort["ReLU5_Output_0_nchwc"] = 6;
        Assert.Equal(5, OrtLayerProfile.Match(ort, "Convolution5", ["ReLU5_Output_0"]));
    }

    [Fact]
    public void AFusedResidualConvMatchesTheNodeOnnxRuntimeNamedAfterAValueItAbsorbed()
    {
        // conv → bn → Add(·, x) → relu fused into one Conv+Add+Relu named after the conv; ONNX Runtime names its own
        // fused node after the normalised output (BatchNormalization2_Output_0_nchwc).
        var attributes = new NodeAttributes(new Dictionary<string, object>());
        Node N(string name, string op, string[] inputs, string output) => new(name, op, inputs, [output], attributes);
        var original = new ModelGraph("t", 13, [
            N("Convolution1", "Conv", ["x", "w"], "Convolution1_Output_0"),
            N("BatchNormalization2", "BatchNormalization", ["Convolution1_Output_0", "s", "o", "m", "v"], "BatchNormalization2_Output_0"),
            N("Plus3", "Add", ["BatchNormalization2_Output_0", "x"], "Plus3_Output_0"),
            N("ReLU4", "Relu", ["Plus3_Output_0"], "ReLU4_Output_0"),
            N("Convolution5", "Conv", ["ReLU4_Output_0", "w5"], "Convolution5_Output_0"),
        ], [], [], new Dictionary<string, HostValue>());
        var fused = N("Convolution1", GraphFusion.ConvAddRelu, ["x", "w+bn", "b+bn", "x"], "ReLU4_Output_0");

        var values = OrtLayerProfile.ValuesOf(original, fused);

        Assert.Equal(["ReLU4_Output_0", "Convolution1_Output_0", "BatchNormalization2_Output_0", "Plus3_Output_0"], values);
        var ort = new Dictionary<string, double>(StringComparer.Ordinal) { ["BatchNormalization2_Output_0_nchwc"] = 7 };
        Assert.Equal(7, OrtLayerProfile.Match(ort, fused.Name, values));
        Assert.Equal(["Convolution5_Output_0"], OrtLayerProfile.ValuesOf(original, original.Nodes[4])); // a plain Conv: its own
    }
}
