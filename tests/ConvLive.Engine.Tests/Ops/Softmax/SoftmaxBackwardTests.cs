// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Softmax;

/// <summary>Softmax's and LogSoftmax's backward against the full-Jacobian reference and finite differences.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class SoftmaxBackwardTests(DeviceFixture devices)
{
    public static TheoryData<string> Devices => BackendHarness.Devices;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReferenceGradientMatchesFiniteDifferences(bool log)
    {
        var p = new SoftmaxParams(2, 5, 3, log);
        var x = BackendHarness.Random(30, 1, scale: 3f);
        var dy = BackendHarness.Random(30, 2);
        GradientCheck.AssertMatchesFiniteDifferences(ReferenceOps.SoftmaxBackward(dy, x, p), v => ReferenceOps.Softmax(v, p), x, dy, log ? "LogSoftmax" : "Softmax", step: 1e-3f);
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void BackendGradientEqualsTheReference(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        foreach (var log in new[] { false, true })
        {
            foreach (var p in new[] { new SoftmaxParams(2, 5, 3, log), new SoftmaxParams(1, 1000, 1, log) })
            {
                var n = p.Outer * p.Axis * p.Inner;
                var x = BackendHarness.Random(n, 3, scale: 4f);
                var dy = BackendHarness.Random(n, 4);
                var xt = h.Upload(x, n);
                var y = h.Empty(xt.Shape);
                h.Backend.Softmax(y, xt, p);
                var dx = h.Empty(xt.Shape);
                h.Backend.SoftmaxBackward(dx, h.Upload(dy, n), y, p);
                Numerics.AssertClose(ReferenceOps.SoftmaxBackward(dy, x, p), h.Download(dx), 1e-6, 1e-4, $"{device} {p}");
            }
        }
    }
}
