// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Tests;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Tests;

/// <summary>Activations, broadcast arithmetic, LRN, batch norm and softmax against the naive references.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class ElementwiseOpTests(DeviceFixture devices)
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
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void BroadcastArithmeticMatchesTheReference(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        int[][][] cases = [[[2, 3, 4], [2, 3, 4]], [[2, 3, 4], [4]], [[2, 1, 4], [3, 1]], [[1], [5, 2]], [[2, 3, 1, 5], [1, 3, 4, 1]]];
        var seed = 0;
        foreach (var pair in cases)
        {
            foreach (var kind in Enum.GetValues<BinaryKind>())
            {
                var a = BackendHarness.Random(pair[0].Aggregate(1, (x, y) => x * y), ++seed);
                var b = BackendHarness.Random(pair[1].Aggregate(1, (x, y) => x * y), ++seed).Select(v => kind == BinaryKind.Div ? v + 3f : v).ToArray();
                var p = BroadcastParams.Create(new TensorShape(pair[0]), new TensorShape(pair[1]));
                var y = h.Empty(p.Output);
                h.Backend.Binary(y, h.Upload(a, pair[0]), h.Upload(b, pair[1]), kind, p);
                var expected = ReferenceOps.Binary(a, pair[0], b, pair[1], kind, out var dims);
                Assert.Equal(dims, p.Output.Dims.ToArray());
                Numerics.AssertClose(expected, h.Download(y), 1e-6, 1e-5, $"{device} {kind} {p.Output}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void LrnBatchNormAndSoftmaxMatchTheReference(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var x = BackendHarness.Random(2 * 7 * 3 * 5, 11, scale: 3f);
        foreach (var (size, beta) in new[] { (1, 0.75f), (3, 0.75f), (5, 0.75f), (4, 0.75f), (5, 0.6f), (2, 1f) })
        {
            var p = new LrnParams(2, 7, 15, size, 1e-2f, beta, 1f);
            var y = h.Empty(new(2, 7, 3, 5));
            h.Backend.Lrn(y, h.Upload(x, 2, 7, 3, 5), p);
            Numerics.AssertClose(ReferenceOps.Lrn(x, p), h.Download(y), 1e-6, 1e-5, $"{device} LRN size {size} beta {beta}");
        }

        var scale = BackendHarness.Random(7, 1);
        var bias = BackendHarness.Random(7, 2);
        var mean = BackendHarness.Random(7, 3);
        var variance = BackendHarness.Random(7, 4).Select(v => v + 1.5f).ToArray();
        var bn = h.Empty(new(2, 7, 3, 5));
        h.Backend.BatchNorm(bn, h.Upload(x, 2, 7, 3, 5), h.Upload(scale, 7), h.Upload(bias, 7), h.Upload(mean, 7), h.Upload(variance, 7), 1e-3f);
        Numerics.AssertClose(ReferenceOps.BatchNorm(x, 2, 7, 15, scale, bias, mean, variance, 1e-3f), h.Download(bn), 1e-5, 1e-5, $"{device} BatchNorm");

        foreach (var (outer, axis, inner, log) in new[] { (2, 7, 15, false), (14, 15, 1, true), (1, 210, 1, false), (30, 7, 1, true) })
        {
            var p = new SoftmaxParams(outer, axis, inner, log);
            var y = h.Empty(new(outer, axis, inner));
            h.Backend.Softmax(y, h.Upload(x, outer, axis, inner), p);
            Numerics.AssertClose(ReferenceOps.Softmax(x, p), h.Download(y), 1e-6, 1e-5, $"{device} {p}");
        }
    }
}
