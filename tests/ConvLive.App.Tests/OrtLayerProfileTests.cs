// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Cli;

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
}
