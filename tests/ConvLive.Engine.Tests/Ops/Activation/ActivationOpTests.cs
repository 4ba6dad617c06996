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
