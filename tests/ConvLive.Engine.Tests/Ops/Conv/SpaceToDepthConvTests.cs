// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Backends.Cpu;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Conv;

/// <summary>Strided convolutions over few channels run as Winograd on their space-to-depth form
/// (<see cref="SpaceToDepthConv"/>): against the naive reference, where it applies, and how auto chooses it.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class SpaceToDepthConvTests(DeviceFixture devices)
{
    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (var seed = 0; seed < 16; seed++)
        {
            data.Add(seed);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void TheFoldedFormMatchesTheNaiveReference(int seed)
    {
        // Strides 2 to 4, kernels that fold to 3×3 (F(4×4, 3×3)) and to 4×4 or 5×5 (F(4×4, 5×5)); one or two groups;
        // every padding 0 to 3 on each side; sizes whose last window does and does not reach the input's edge; batch 2;
        // a residual and a fused Relu on some.
        var r = new Random(seed);
        var s = 2 + (seed % 3);
        var k = (s * (3 + r.Next(3))) - r.Next(s); // ⌈k/s⌉ is 3 to 5
        var groups = seed % 4 == 3 ? 2 : 1;
        int cg = new[] { 1, 2, 3, 5 }[r.Next(4)], mg = new[] { 16, 17, 24, 40 }[r.Next(4)];
        int pt = r.Next(0, 4), pl = r.Next(0, 4), pb = r.Next(0, 4), pr = r.Next(0, 4);
        int h = k - pt - pb + r.Next(1, 3 * s * 4), w = k - pl - pr + r.Next(1, 3 * s * 4);
        var p = Conv(r.Next(1, 3), cg * groups, Math.Max(1, h), Math.Max(1, w), mg * groups, k, s, groups, pt, pl, pb, pr) with { Relu = seed % 3 == 1 };
        Assert.True(SpaceToDepthConv.Supports(p), $"{p}");
        Check(p, seed, residual: seed % 4 == 1);
    }

    [Theory]
    [InlineData(3, 224, 64, 11, 4, 2, true)] // AlexNet conv1, torchvision layout: 3×3 over 48 channels
    [InlineData(3, 227, 96, 11, 4, 0, true)] // AlexNet conv1, ONNX zoo layout
    [InlineData(3, 224, 64, 7, 2, 3, false)] // ResNet-18's stem: 4×4 over 12 channels, widened to 5×5; too few to pay
    public void AtNetworkScaleTheFoldedFormIsAccurateAndAutoTimesItWhereItMayPay(int c, int size, int m, int k, int s, int pad, bool pays)
    {
        var p = Conv(1, c, size, size, m, k, s, 1, pad, pad, pad, pad);
        Assert.Equal(pays, SpaceToDepthConv.Pays(p));
        Assert.False(WinogradConv.Supports(p), "stride-1 Winograd does not compute it itself");
        Check(p, size + k, residual: false);
    }

    [Theory]
    [InlineData(3, 2, 1)] // folds to 2×2: widening it to 3×3 costs more than Winograd saves
    [InlineData(1, 2, 1)] // ResNet-18's 1×1 stride-2 projection
    [InlineData(7, 2, 2)] // dilated
    [InlineData(13, 2, 1)] // folds to 7×7: no Winograd form
    public void GeometriesThatDoNotFoldAreLeftToTheDirectGemm(int k, int s, int dilation)
    {
        var p = new ConvParams(1, 3, 32, 32, 32, 1, new Window2D(k, k, s, s, 0, 0, 0, 0, dilation, dilation), 8, 8);
        Assert.False(SpaceToDepthConv.Supports(p));
        Assert.False(SpaceToDepthConv.Pays(p));
        var anisotropic = p with { Window = new Window2D(11, 11, 4, 2, 0, 0, 0, 0, 1, 1) };
        Assert.False(SpaceToDepthConv.Supports(anisotropic), "unequal strides");
    }

    [Fact]
    public void AutoChoosesBetweenTheDirectGemmAndTheFoldedFormAndAPinnedChoiceRunsWhatItNames()
    {
        using var folder = new TempFolder();
        var file = folder.File("conv-choices.json");
        var p = Conv(1, 3, 67, 67, 32, 11, 4, 1, 2, 2, 2, 2);
        var x = BackendHarness.Random(p.N * p.C * p.H * p.W, 1);
        var w = BackendHarness.Random(p.M * p.C * 121, 2);
        var expected = ReferenceOps.Conv(x, w, null, p);
        float[] Run(BackendOptions options, out IReadOnlyList<ConvChoice> made)
        {
            using var h = BackendHarness.Open(devices, "cpu", options);
            var y = h.Empty(p.OutputShape);
            h.Backend.Conv(y, h.Upload(x, p.N, p.C, p.H, p.W), h.Upload(w, p.M, p.C, 11, 11), null, p);
            made = ((CpuBackend)h.Backend).ConvChoices;
            return h.Download(y);
        }

        var folded = Run(new BackendOptions { ConvAlgorithm = ConvAlgorithm.Winograd }, out _);
        var direct = Run(new BackendOptions { ConvAlgorithm = ConvAlgorithm.Direct }, out _);
        Assert.NotEqual(direct, folded); // so the bits below tell which one ran
        Numerics.AssertClose(expected, folded, 1e-3, 1e-4, "the folded form");

        var outputs = new Dictionary<string, float[]> { ["direct"] = direct, ["winograd-s2d"] = folded, ["winograd-s2d-fused"] = folded };
        var chosen = Run(new BackendOptions { ConvChoicesFile = file, Threads = 2 }, out var made);
        var choice = Assert.Single(made);
        Assert.Equal(["direct", "winograd-s2d"], choice.Timings.Select(t => t.Algorithm));
        Assert.Equal(outputs[choice.Algorithm], chosen);
        Assert.Contains("1x3x67x67>32 g1 k11x11 s4x4 p2,2,2,2 d1x1", choice.Geometry, StringComparison.Ordinal);

        // Pinned in the file: each name runs what it names.
        foreach (var (name, bits) in new[] { ("winograd-s2d", folded), ("winograd-s2d-fused", folded), ("direct", direct) })
        {
            ConvChoices.Forget(null);
            File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(new[] { choice with { Algorithm = name, Timings = [new ConvTiming(name, 1)] } }));
            Assert.Equal(bits, Run(new BackendOptions { ConvChoicesFile = file, Threads = 2 }, out made));
            Assert.Equal(name, Assert.Single(made).Algorithm);
        }

        // A stride-1 form's name on this strided key (a hand-edited file) is not run as something else: timed again.
        foreach (var name in new[] { "winograd", "winograd2x2-fused" })
        {
            ConvChoices.Forget(null);
            File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(new[] { choice with { Algorithm = name, Timings = [new ConvTiming(name, 1)] } }));
            var output = Run(new BackendOptions { ConvChoicesFile = file, Threads = 2 }, out made);
            var retimed = Assert.Single(made);
            Assert.Equal(["direct", "winograd-s2d"], retimed.Timings.Select(t => t.Algorithm));
            Assert.Equal(outputs[retimed.Algorithm], output);
        }
    }

    [Fact]
    public void FoldedWeightsAreKeptOnAConstantTensorAndFollowAnUploadOrATrainedWeight()
    {
        var p = Conv(1, 3, 35, 35, 16, 11, 4, 1, 2, 2, 2, 2);
        var x = BackendHarness.Random(p.N * p.C * p.H * p.W, 1);
        foreach (var constant in new[] { true, false })
        {
            using var h = BackendHarness.Open(devices, "cpu", new BackendOptions { ConvAlgorithm = ConvAlgorithm.Winograd });
            var wt = h.Upload(BackendHarness.Random(p.M * p.C * 121, 3), p.M, p.C, 11, 11);
            wt.IsConstant = constant;
            var xt = h.Upload(x, p.N, p.C, p.H, p.W);
            var y = h.Empty(p.OutputShape);
            object? kept = null;
            foreach (var (seed, upload) in new[] { (3, false), (3, false), (4, true), (5, true) })
            {
                var w = BackendHarness.Random(p.M * p.C * 121, seed);
                if (upload)
                {
                    h.Backend.Upload(wt, w);
                }

                h.Backend.Conv(y, xt, wt, null, p);
                if (constant)
                {
                    Assert.NotNull(wt.Derived);
                    Assert.True(upload ? !ReferenceEquals(kept, wt.Derived) : kept is null || ReferenceEquals(kept, wt.Derived), "folded again without an upload");
                    kept = wt.Derived;
                }

                Numerics.AssertClose(ReferenceOps.Conv(x, w, null, p), h.Download(y), 1e-3, 1e-4, $"constant {constant}, weights of seed {seed}");
            }
        }
    }

    /// <summary>Forced Winograd (which folds strided layers) against the reference, the 512- and 256-bit tiles and the
    /// fused and four passes giving the same bits.</summary>
    private void Check(ConvParams p, int seed, bool residual)
    {
        float[]? first = null;
        foreach (var (bits, fused) in new (int, bool?)[] { (0, null), (256, null), (0, true), (0, false), (256, true), (256, false) })
        {
            using var h = BackendHarness.Open(devices, "cpu", new BackendOptions { ConvAlgorithm = ConvAlgorithm.Winograd, VectorBits = bits });
            ((CpuBackend)h.Backend).Winograd.Fused = fused;
            var x = BackendHarness.Random(p.N * p.C * p.H * p.W, seed);
            int k = p.Window.KernelH, taps = p.GroupInputs * k * k;
            var w = BackendHarness.Random(p.M * taps, seed + 100);
            var b = seed % 3 == 0 ? null : BackendHarness.Random(p.M, seed + 200);
            var r = residual ? BackendHarness.Random(p.OutputShape.Length, seed + 300) : null;
            var y = h.Empty(p.OutputShape);
            var wt = h.Upload(w, p.M, p.GroupInputs, k, k);
            wt.IsConstant = fused != false; // the folded weights kept on the tensor, and rebuilt every call for a trained one
            h.Backend.Conv(y, h.Upload(x, p.N, p.C, p.H, p.W), wt, b is null ? null : h.Upload(b, p.M), p, r is null ? null : h.Upload(r, p.OutputShape.Dims.ToArray()));
            if (wt.IsConstant)
            {
                h.Backend.Conv(y, h.Upload(x, p.N, p.C, p.H, p.W), wt, b is null ? null : h.Upload(b, p.M), p, r is null ? null : h.Upload(r, p.OutputShape.Dims.ToArray())); // from the kept form
            }

            var expected = ReferenceOps.Conv(x, w, b, p with { Relu = false });
            for (var i = 0; i < expected.Length; i++)
            {
                var v = expected[i] + (r?[i] ?? 0f);
                expected[i] = p.Relu && v < 0f ? 0f : v;
            }

            // As in WinogradConvTests: outputs spread as √(taps)/3; F(4×4, 5×5) over 8×8 patches errs by ~1e-5 of that.
            var result = h.Download(y);
            Numerics.AssertClose(expected, result, 3e-4 * Math.Sqrt(taps) / 3, 1e-4, $"{bits}-bit fused {fused?.ToString() ?? "chosen"} {p}");
            first ??= result;
            var differ = Enumerable.Range(0, result.Length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(first[i]) != BitConverter.SingleToInt32Bits(result[i]), -1);
            Assert.True(differ < 0, $"{bits}-bit fused {fused} differs from the first form at {differ}");
        }
    }

    private static ConvParams Conv(int n, int c, int h, int w, int m, int k, int s, int groups, int pt, int pl, int pb, int pr)
    {
        var outH = Window2D.Resolve("NOTSET", h, k, s, 1, ref pt, ref pb);
        var outW = Window2D.Resolve("NOTSET", w, k, s, 1, ref pl, ref pr);
        return new ConvParams(n, c, h, w, m, groups, new Window2D(k, k, s, s, pt, pl, pb, pr, 1, 1), outH, outW);
    }
}
