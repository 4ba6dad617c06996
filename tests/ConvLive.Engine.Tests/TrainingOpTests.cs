// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Tests;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;

namespace ConvLive.Engine.Tests;

/// <summary>The training ops against their naive references and against finite differences of the forward ops.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class TrainingOpTests(DeviceFixture devices)
{
    public static TheoryData<string> Devices => BackendHarness.Devices;

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void ActivationGradientsMatchTheReferenceAndFiniteDifferences(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        // Keep x away from ReLU's kink so central differences are exact there.
        var x = BackendHarness.Random(600, 11, scale: 3f).Select(v => MathF.Abs(v) < 0.05f ? v + 0.2f : v).ToArray();
        var dy = BackendHarness.Random(600, 12);
        foreach (var kind in Enum.GetValues<ActivationKind>())
        {
            var y = h.Empty(new(6, 100));
            h.Backend.Activation(y, h.Upload(x, 6, 100), kind, 0.1f);
            var yHost = h.Download(y);
            var dx = h.Empty(new(6, 100));
            h.Backend.ActivationBackward(dx, h.Upload(dy, 6, 100), y, kind, 0.1f);
            var actual = h.Download(dx);
            Numerics.AssertClose(TrainingReference.ActivationBackward(dy, yHost, kind, 0.1f), actual, 1e-6, 1e-5, $"{device} {kind} backward");

            const double step = 1e-3;
            var finite = new float[x.Length];
            for (var i = 0; i < x.Length; i++)
            {
                var up = ReferenceOps.Activation([(float)(x[i] + step)], kind, 0.1f)[0];
                var down = ReferenceOps.Activation([(float)(x[i] - step)], kind, 0.1f)[0];
                finite[i] = (float)(dy[i] * (up - (double)down) / (2 * step));
            }

            Numerics.AssertClose(finite, actual, 2e-3, 1e-2, $"{device} {kind} vs finite differences");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void CrossEntropyLossAndGradientMatchTheReferenceAndFiniteDifferences(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        const int rows = 5, k = 7;
        var logits = BackendHarness.Random(rows * k, 21, scale: 4f);
        var target = new float[rows * k];
        for (var b = 0; b < rows; b++)
        {
            target[(b * k) + ((b * 3) % k)] = 0.9f;
            target[(b * k) + ((b * 3 + 1) % k)] = 0.1f; // a smoothed row: targets need not be one-hot
        }

        var grad = h.Empty(new(rows, k));
        var loss = h.Empty(new(rows));
        h.Backend.SoftmaxCrossEntropy(grad, loss, h.Upload(logits, rows, k), h.Upload(target, rows, k), 1f / rows);
        var lossRef = TrainingReference.CrossEntropy(logits, target, rows);
        Numerics.AssertClose(lossRef.Select(v => (float)v).ToArray(), h.Download(loss), 1e-5, 1e-5, $"{device} loss");
        var actual = h.Download(grad);
        Numerics.AssertClose(TrainingReference.CrossEntropyGradient(logits, target, rows, 1f / rows), actual, 1e-6, 1e-5, $"{device} gradient");

        // d(mean loss)/d logit by central differences in double precision.
        var finite = new float[logits.Length];
        const float step = 1e-2f;
        for (var i = 0; i < logits.Length; i++)
        {
            var up = (float[])logits.Clone();
            var down = (float[])logits.Clone();
            up[i] += step;
            down[i] -= step;
            finite[i] = (float)((TrainingReference.CrossEntropy(up, target, rows).Sum() - TrainingReference.CrossEntropy(down, target, rows).Sum()) / rows / (2 * step));
        }

        Numerics.AssertClose(finite, actual, 1e-4, 1e-3, $"{device} gradient vs finite differences");
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void OptimizerStepsMatchTheReference(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        foreach (var kind in Enum.GetValues<OptimizerKind>())
        {
            var w0 = BackendHarness.Random(300, 31);
            var w = h.Upload(w0, 300);
            var m = h.Upload(new float[300], 300);
            var v = h.Upload(new float[300], 300);
            var wRef = w0.Select(x => (double)x).ToArray();
            var mRef = new double[300];
            var vRef = new double[300];
            for (var t = 1; t <= 5; t++)
            {
                var g = BackendHarness.Random(300, 40 + t);
                var p = OptimizerParams.At(kind, 0.01f, 0.001f, t);
                h.Backend.OptimizerStep(w, h.Upload(g, 300), m, v, p);
                TrainingReference.OptimizerStep(wRef, g, mRef, vRef, p);
            }

            Numerics.AssertClose(wRef.Select(x => (float)x).ToArray(), h.Download(w), 1e-6, 1e-5, $"{device} {kind} parameters");
            Numerics.AssertClose(mRef.Select(x => (float)x).ToArray(), h.Download(m), 1e-6, 1e-5, $"{device} {kind} first moment");
            Assert.NotEqual(w0, h.Download(w));
        }
    }
}
