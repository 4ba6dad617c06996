// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Activation;

/// <summary>Relu, LeakyRelu, Tanh and Sigmoid against the naive reference.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class ActivationOpTests(DeviceFixture devices)
{
    public static TheoryData<string> Devices => BackendHarness.Devices;

    [Fact]
    public void CpuElementwiseOpsRefuseTensorsOfDifferentLengths()
    {
        using var h = BackendHarness.Open(devices, "cpu");
        var y = h.Empty(new(4, 5));
        Assert.Throws<ArgumentException>(() => h.Backend.Activation(y, h.Upload(new float[24], 4, 6), ActivationKind.Relu, 0f));
        var same = BroadcastParams.Create(new TensorShape(4, 5), new TensorShape(4, 5));
        Assert.Throws<ArgumentException>(() => h.Backend.Binary(y, h.Upload(new float[20], 4, 5), h.Upload(new float[24], 4, 6), BinaryKind.Add, same));
        var scale = h.Upload(new float[3], 3); // 4 channels need 4
        Assert.Throws<ArgumentException>(() => h.Backend.BatchNorm(y.Reshape(new TensorShape(1, 4, 5)), h.Upload(new float[20], 1, 4, 5), scale, scale, scale, scale, 1e-5f));
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void ActivationsMatchTheReference(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var x = BackendHarness.Random(1000, 3, scale: 6f);
        foreach (var kind in Enum.GetValues<ActivationKind>())
        {
            var y = h.Empty(new(10, 100));
            h.Backend.Activation(y, h.Upload(x, 10, 100), kind, 0.1f);
            Numerics.AssertClose(ReferenceOps.Activation(x, kind, 0.1f), h.Download(y), 1e-6, 1e-5, $"{device} {kind}");
        }

        // Three 16K-float chunks and a tail (the CPU runs them on its workers), out of place and in place.
        var large = BackendHarness.Random(3 * 16391, 4, scale: 6f);
        foreach (var kind in Enum.GetValues<ActivationKind>())
        {
            var y = h.Empty(new(3, 16391));
            h.Backend.Activation(y, h.Upload(large, 3, 16391), kind, 0.1f);
            Numerics.AssertClose(ReferenceOps.Activation(large, kind, 0.1f), h.Download(y), 1e-6, 1e-5, $"{device} {kind}, 3x16391");
            h.Backend.Activation(y, y, kind, 0.1f);
            Numerics.AssertClose(ReferenceOps.Activation(ReferenceOps.Activation(large, kind, 0.1f), kind, 0.1f), h.Download(y), 1e-6, 1e-5, $"{device} {kind}, 3x16391 in place");
        }
    }
}
