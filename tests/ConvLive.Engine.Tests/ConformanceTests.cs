// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Conformance;
using ConvLive.Engine.Devices;

namespace ConvLive.Engine.Tests;

/// <summary>The ONNX backend node tests (Debian libonnx-testdata) on every backend this machine has.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class ConformanceTests(DeviceFixture devices)
{
    /// <summary>What passes today on both backends; a drop below it is a regression.</summary>
    private const int ExpectedPasses = 199;

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    [InlineData("cuda")]
    public void EveryClaimedOnnxNodeTestPasses(string deviceName)
    {
        var suites = ConformanceRunner.DefaultSuites.Where(Directory.Exists).ToList();
        Skip.If(suites.Count == 0, "libonnx-testdata is not installed (./test.sh installs it)");
        Assert.True(DeviceKinds.TryParse(deviceName, out var kind));
        var device = devices.Get(kind, out var why);
        Skip.If(device is null, $"{deviceName} is not available here: {why}");
        using var backend = Backend.Create(device!);

        var results = suites.SelectMany(ConformanceRunner.Tests).Select(t => ConformanceRunner.Run(t, backend)).ToList();

        var failed = results.Where(r => r.Outcome == Outcome.Failed).Select(r => $"{r.Name}: {r.Detail}").ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} failed:\n{string.Join('\n', failed)}");
        var passed = results.Count(r => r.Outcome == Outcome.Passed);
        Assert.True(passed >= ExpectedPasses, $"only {passed} passed; {ExpectedPasses} did before");
        foreach (var claimed in new[] { "test_conv_with_strides_and_asymmetric_padding", "test_maxpool_2d_ceil", "test_averagepool_2d_pads_count_include_pad", "test_lrn", "test_gemm_all_attributes", "test_Conv2d_groups", "test_softmax_axis_0", "test_Conv1d_groups", "test_transpose_all_permutations_3", "test_Linear_no_bias" })
        {
            Assert.Contains(results, r => r.Name == claimed && r.Outcome == Outcome.Passed);
        }
    }
}
