// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Activation;

/// <summary>The activations' backward under each Relu rule against the reference (written from x, in double).</summary>
[Collection(DevicesDefinition.Name)]
public sealed class ActivationBackwardTests(DeviceFixture devices)
{
    public static TheoryData<string> Devices => BackendHarness.Devices;

    [Theory]
    [InlineData(ActivationKind.Relu)]
    [InlineData(ActivationKind.LeakyRelu)]
    [InlineData(ActivationKind.Tanh)]
    [InlineData(ActivationKind.Sigmoid)]
    public void ReferenceGradientMatchesFiniteDifferences(ActivationKind kind)
    {
        var x = BackendHarness.Random(200, 1, scale: 3f).Select(v => MathF.Abs(v) < 0.05f ? v + 0.2f : v).ToArray();
        var dy = BackendHarness.Random(200, 2);
        var dx = ReferenceOps.ActivationBackward(dy, x, kind, 0.1f, GradientRule.Gradient);
        GradientCheck.AssertMatchesFiniteDifferences(dx, v => ReferenceOps.Activation(v, kind, 0.1f), x, dy, kind.ToString(), step: 1e-3f);
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void ReluRulesPassWhatEachRuleSays(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var x = BackendHarness.Random(300, 3, scale: 2f);
        var dy = BackendHarness.Random(300, 4);
        var y = h.Empty(new(3, 100));
        h.Backend.Activation(y, h.Upload(x, 3, 100), ActivationKind.Relu, 0f);
        foreach (var rule in Enum.GetValues<GradientRule>())
        {
            var dx = h.Empty(new(3, 100));
            h.Backend.ActivationBackward(dx, h.Upload(dy, 3, 100), y, ActivationKind.Relu, 0f, rule);
            var expected = ReferenceOps.ActivationBackward(dy, x, ActivationKind.Relu, 0f, rule);
            Numerics.AssertClose(expected, h.Download(dx), 0, 0, $"{device} {rule}");
        }

        // The rules really differ on this data: guided drops negative dy that the gradient passes, deconv passes positive dy where x < 0.
        var plain = ReferenceOps.ActivationBackward(dy, x, ActivationKind.Relu, 0f, GradientRule.Gradient);
        var guided = ReferenceOps.ActivationBackward(dy, x, ActivationKind.Relu, 0f, GradientRule.Guided);
        var deconv = ReferenceOps.ActivationBackward(dy, x, ActivationKind.Relu, 0f, GradientRule.Deconv);
        Assert.Contains(Enumerable.Range(0, 300), i => plain[i] < 0 && guided[i] == 0);
        Assert.Contains(Enumerable.Range(0, 300), i => x[i] < 0 && deconv[i] > 0);
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void RulesLeaveOtherActivationsWithTheirTrueGradient(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var x = BackendHarness.Random(100, 5, scale: 2f);
        var dy = BackendHarness.Random(100, 6);
        var y = h.Empty(new(100));
        h.Backend.Activation(y, h.Upload(x, 100), ActivationKind.Tanh, 0f);
        var dx = h.Empty(new(100));
        h.Backend.ActivationBackward(dx, h.Upload(dy, 100), y, ActivationKind.Tanh, 0f, GradientRule.Guided);
        Numerics.AssertClose(ReferenceOps.ActivationBackward(dy, x, ActivationKind.Tanh, 0f, GradientRule.Gradient), h.Download(dx), 1e-6, 1e-5, $"{device} tanh under the guided rule");
    }
}
