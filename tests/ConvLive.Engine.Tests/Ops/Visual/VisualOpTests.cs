// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Visual;

/// <summary>Frame preprocessing and tile packing on every backend against the naive references.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class VisualOpTests(DeviceFixture devices)
{
    public static TheoryData<string> Devices => BackendHarness.Devices;

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void PreprocessingCropsResamplesAndNormalisesLikeTheReference(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        foreach (var (w, hh, size, resize, bgr) in new[] { (64, 48, 32, 32, true), (50, 70, 24, 28, false), (32, 32, 48, 48, false) })
        {
            var frame = new byte[w * hh * 3];
            new Random(w).NextBytes(frame);
            var p = PreprocessParams.Create(w, hh, size, resize, bgr, bgr ? 1f : 1f / 255, bgr ? [103.9f, 116.8f, 123.7f] : [0.485f, 0.456f, 0.406f], bgr ? [1f, 1f, 1f] : [0.229f, 0.224f, 0.225f]);
            using var bytes = h.Backend.AllocateBytes(frame.Length);
            h.Backend.UploadBytes(bytes, frame);
            var y = h.Empty(new(1, 3, size, size));

            h.Backend.Preprocess(y, bytes, p);

            Numerics.AssertClose(ReferenceOps.Preprocess(frame, p), h.Download(y), 1e-3, 1e-4, $"{device} {w}x{hh} -> {size}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void AugmentedViewsMatchTheReferenceAndTheIdentityViewIsThePreprocessing(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        const int W = 40, H = 30, Size = 24;
        var frame = new byte[W * H * 3];
        new Random(5).NextBytes(frame);
        using var bytes = h.Backend.AllocateBytes(frame.Length);
        h.Backend.UploadBytes(bytes, frame);
        var y = h.Empty(new(3, 3, Size, Size));
        foreach (var bgr in new[] { false, true })
        {
            var p = PreprocessParams.Create(W, H, Size, Size, bgr, 1f / 255, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
            var (cos, sin) = (MathF.Cos(0.3f), MathF.Sin(0.3f));
            AugmentView[] views =
            [
                AugmentView.Identity(p),
                new(-0.9f * cos, 0.9f * sin, 30f, 0.9f * sin, 0.9f * cos, 2f, 1.2f, 0.8f, 0.5f, 0f), // mirrored, rotated, recoloured
                new(1.4f, 0f, -4f, 0f, 1.4f, -3f, 0.7f, 1.3f, 1.4f, 0.9f), // zoomed out past the edges, blurred, saturated
            ];
            for (var i = 0; i < views.Length; i++)
            {
                h.Backend.Augment(y, i, bytes, p, views[i]);
            }

            var actual = h.Download(y);
            for (var i = 0; i < views.Length; i++)
            {
                var got = actual.AsSpan(i * 3 * Size * Size, 3 * Size * Size).ToArray();
                Numerics.AssertClose(ReferenceOps.Augment(frame, p, views[i]), got, 1e-3, 1e-4, $"{device} bgr={bgr} view {i}");
            }

            Numerics.AssertClose(ReferenceOps.Preprocess(frame, p), actual.AsSpan(0, 3 * Size * Size).ToArray(), 1e-3, 1e-4, $"{device} bgr={bgr}: identity view vs preprocessing");
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => h.Backend.Augment(y, 3, bytes, PreprocessParams.Create(W, H, Size, Size, false, 1, [0f, 0f, 0f], [1f, 1f, 1f]), default));
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void TilesAreNormalisedPerChannelAndLandInTheirPlace(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var x = BackendHarness.Random(6 * 5 * 7, 9, scale: 4f);
        x.AsSpan(2 * 35, 35).Fill(1.5f); // a flat channel packs to zeros
        var layout = new TileLayout(Offset: 16, AtlasWidth: 40, X: 3, Y: 2, Channels: 6, TileW: 7, TileH: 5, Columns: 3, Gap: 1);
        var fc = BackendHarness.Random(50, 10);
        var fcLayout = new TileLayout(Offset: 16, AtlasWidth: 40, X: 30, Y: 2, Channels: 1, TileW: 8, TileH: 7, Columns: 1, Gap: 0);
        const int Length = 16 + (40 * 20);
        using var atlas = h.Backend.AllocateBytes(Length);
        h.Backend.UploadBytes(atlas, new byte[Length]);

        h.Backend.PackTiles(atlas, h.Upload(x, 1, 6, 5, 7), layout);
        h.Backend.PackTiles(atlas, h.Upload(fc, 1, 50), fcLayout);
        var actual = new byte[Length];
        h.Backend.DownloadBytes(actual, atlas);

        var expected = ReferenceOps.PackTiles(x, layout, Length);
        var fcExpected = ReferenceOps.PackTiles(fc, fcLayout, Length);
        for (var i = 0; i < Length; i++)
        {
            var want = Math.Max(expected[i], fcExpected[i]);
            Assert.True(Math.Abs(want - actual[i]) <= 1, $"{device}: atlas byte {i} (x {(i - 16) % 40}, y {(i - 16) / 40}) is {actual[i]}, expected {want}");
        }

        var (tx, ty) = layout.TileOrigin(1);
        Assert.Equal((11, 2), (tx, ty));
        Assert.Contains(actual, b => b == 255);
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void WideTilesPackLikeTheReference(string device)
    {
        // Rows of 45: the CPU backend's 32-wide vector path and its scalar tail.
        using var h = BackendHarness.Open(devices, device);
        var x = BackendHarness.Random(2 * 3 * 45, 12, scale: 7f);
        var layout = new TileLayout(Offset: 0, AtlasWidth: 100, X: 1, Y: 1, Channels: 2, TileW: 45, TileH: 3, Columns: 2, Gap: 2);
        const int Length = 100 * 6;
        using var atlas = h.Backend.AllocateBytes(Length);
        h.Backend.UploadBytes(atlas, new byte[Length]);

        h.Backend.PackTiles(atlas, h.Upload(x, 1, 2, 3, 45), layout);
        var actual = new byte[Length];
        h.Backend.DownloadBytes(actual, atlas);

        var expected = ReferenceOps.PackTiles(x, layout, Length);
        for (var i = 0; i < Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1, $"{device}: atlas byte {i} is {actual[i]}, expected {expected[i]}");
        }

        Assert.Contains(actual, b => b == 255);
        Assert.Equal(2, actual.Count(b => b == 0) - (Length - (2 * 3 * 45))); // each channel's minimum, nothing else
    }

    [Fact]
    public void OnePassMinMaxAgreesWithLinqAtEveryLengthAndNaNGivesNaN()
    {
        var random = new Random(5);
        for (var n = 0; n <= 70; n++)
        {
            var values = Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 200) - 100)).ToArray();
            var (min, max) = Backends.Cpu.CpuBackend.MinMax(values);
            Assert.Equal(n == 0 ? float.PositiveInfinity : values.Min(), min);
            Assert.Equal(n == 0 ? float.NegativeInfinity : values.Max(), max);
            if (n == 0)
            {
                continue;
            }

            // The extremes at every position: first, in the vector body, in the tail.
            foreach (var at in new[] { 0, n / 2, n - 1 })
            {
                var copy = (float[])values.Clone();
                copy[at] = float.PositiveInfinity;
                Assert.Equal(float.PositiveInfinity, Backends.Cpu.CpuBackend.MinMax(copy).Max);
                copy[at] = float.NegativeInfinity;
                Assert.Equal(float.NegativeInfinity, Backends.Cpu.CpuBackend.MinMax(copy).Min);
                copy[at] = float.NaN;
                var nan = Backends.Cpu.CpuBackend.MinMax(copy);
                Assert.True(float.IsNaN(nan.Min) && float.IsNaN(nan.Max), $"length {n}, NaN at {at}: ({nan.Min}, {nan.Max})");
            }
        }
    }
}
