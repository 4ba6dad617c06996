// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Tests;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Tests.Ops.Normalise;

/// <summary>LRN, inference batch normalisation and softmax against the naive references.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class NormaliseOpTests(DeviceFixture devices)
{
    public static TheoryData<string> Devices => BackendHarness.Devices;

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

        // Planes of 50×50 over 13 channels and 2 images: 65,000 floats, four 16K-float chunks with planes straddling
        // their edges (the CPU runs them on its workers), out of place and in place.
        float[] xs = BackendHarness.Random(2 * 13 * 2500, 12, scale: 3f), s13 = BackendHarness.Random(13, 5), b13 = BackendHarness.Random(13, 6);
        float[] m13 = BackendHarness.Random(13, 7), v13 = BackendHarness.Random(13, 8).Select(v => v + 1.5f).ToArray();
        var large = h.Empty(new(2, 13, 50, 50));
        DeviceTensor ts = h.Upload(s13, 13), tb = h.Upload(b13, 13), tm = h.Upload(m13, 13), tv = h.Upload(v13, 13);
        h.Backend.BatchNorm(large, h.Upload(xs, 2, 13, 50, 50), ts, tb, tm, tv, 1e-3f);
        var once = ReferenceOps.BatchNorm(xs, 2, 13, 2500, s13, b13, m13, v13, 1e-3f);
        Numerics.AssertClose(once, h.Download(large), 1e-5, 1e-5, $"{device} BatchNorm 2x13x50x50");
        h.Backend.BatchNorm(large, large, ts, tb, tm, tv, 1e-3f);
        Numerics.AssertClose(ReferenceOps.BatchNorm(once, 2, 13, 2500, s13, b13, m13, v13, 1e-3f), h.Download(large), 1e-5, 1e-5, $"{device} BatchNorm 2x13x50x50 in place");

        foreach (var (outer, axis, inner, log) in new[] { (2, 7, 15, false), (14, 15, 1, true), (1, 210, 1, false), (30, 7, 1, true) })
        {
            var p = new SoftmaxParams(outer, axis, inner, log);
            var y = h.Empty(new(outer, axis, inner));
            h.Backend.Softmax(y, h.Upload(x, outer, axis, inner), p);
            Numerics.AssertClose(ReferenceOps.Softmax(x, p), h.Download(y), 1e-6, 1e-5, $"{device} {p}");
        }
    }
}
