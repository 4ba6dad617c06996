// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.Tests;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Backends.Cpu;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;

namespace ConvLive.Engine.Tests.Ops.Conv;

/// <summary>The CPU backend's Winograd F(4×4, 3×3) convolution against the naive reference, and when it is chosen.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class WinogradConvTests(DeviceFixture devices)
{
    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (var seed = 0; seed < 24; seed++)
        {
            data.Add(seed);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void WinogradMatchesTheNaiveReference(int seed)
    {
        // 3×3 (F(4×4, 3×3)) and 5×5 (F(4×4, 5×5)); one to three groups; channels per group that are and are not
        // multiples of 8 and 16; sizes that are and are not multiples of the tile; every padding from 0 to 2 on each
        // side; batch 2: the edges of every pass.
        var r = new Random(seed);
        var k = seed % 2 == 0 ? 3 : 5;
        var groups = seed % 6 < 4 ? 1 : (seed % 6) - 2;
        int cg = new[] { 1, 3, 8, 13, 16, 24, 40, 70 }[r.Next(8)], mg = new[] { 1, 5, 16, 17, 33, 40 }[r.Next(6)];
        int pt = r.Next(0, 3), pl = r.Next(0, 3), pb = r.Next(0, 3), pr = r.Next(0, 3);
        int h = r.Next(Math.Max(1, k - pt - pb), 20), w = r.Next(Math.Max(1, k - pl - pr), 20);
        var p = Conv(r.Next(1, 3), cg * groups, h, w, mg * groups, k, groups, pt, pl, pb, pr) with { Relu = seed % 3 == 1 };
        Check(p, seed, ConvAlgorithm.Winograd);
        if (k == 3)
        {
            Check(p, seed, ConvAlgorithm.Winograd2x2); // F(2×2, 3×3): sizes odd and even against its 2×2 tiles
        }
    }

    [Theory]
    [InlineData(1, 192, 13, 13, 384, 3, 1)] // AlexNet conv3 (torchvision layout)
    [InlineData(1, 64, 56, 56, 64, 3, 1)]   // ResNet-18 layer1
    [InlineData(1, 256, 7, 7, 64, 3, 1)]    // a narrow output over few tiles
    [InlineData(1, 64, 27, 27, 192, 5, 1)]  // AlexNet conv2 (torchvision layout)
    [InlineData(1, 96, 27, 27, 256, 5, 2)]  // AlexNet conv2 (zoo layout: two groups)
    [InlineData(1, 384, 13, 13, 256, 3, 2)] // AlexNet conv5 (zoo layout)
    public void WinogradIsAccurateAtNetworkScale(int n, int c, int h, int w, int m, int k, int groups)
    {
        // Sums of hundreds of products: the transforms' rounding must stay within a few ulps of the largest partial
        // sums, which the reference comparison below bounds (atol grows with √(k²C), the spread of such sums).
        var p = Conv(n, c, h, w, m, k, groups, k / 2, k / 2, k / 2, k / 2);
        Assert.True(WinogradConv.Pays(p), "auto times Winograd here");
        Check(p, c + m, ConvAlgorithm.Winograd);
        if (k == 3)
        {
            Check(p, c + m, ConvAlgorithm.Winograd2x2);
        }
    }

    [Theory]
    [InlineData(1, 512, 7, 7, 512)]   // ResNet-18 layer4: 16 tiles of 2×2 (one row and column past the output)
    [InlineData(1, 256, 14, 14, 256)] // ResNet-18 layer3: 49 tiles, none past the output
    public void Winograd2x2IsAccurateAtNetworkScale(int n, int c, int h, int w, int m) =>
        Check(Conv3x3(n, c, h, w, m, 1, 1, 1, 1), c + 1, ConvAlgorithm.Winograd2x2);

    [Theory]
    [InlineData(3, 4)]
    [InlineData(5, 4)]
    [InlineData(3, 2)]
    public void EachAlgorithmsTransformsComputeTheCorrelationOfAPatch(int r, int tile)
    {
        // Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over one α×α patch, in double from the matrices, against the m×m correlation.
        var set = WinogradMatrices.For(r, tile);
        int a = set.Alpha, m = set.Tile;
        Assert.Equal(tile, m);
        Assert.Equal(m + r - 1, a);
        var random = new Random(r * 10 + tile);
        var d = Enumerable.Range(0, a * a).Select(_ => random.NextDouble() - 0.5).ToArray();
        var g = Enumerable.Range(0, r * r).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var u = new double[a * a];
        WinogradMatrices.TransformKernel(g, set, u);
        static double[] Mul(double[] x, int rows, int inner, double[] y, int cols, bool transposeY = false)
        {
            var z = new double[rows * cols];
            for (var i = 0; i < rows; i++)
            {
                for (var j = 0; j < cols; j++)
                {
                    for (var k = 0; k < inner; k++)
                    {
                        z[(i * cols) + j] += x[(i * inner) + k] * (transposeY ? y[(j * inner) + k] : y[(k * cols) + j]);
                    }
                }
            }

            return z;
        }

        var v = Mul(Mul(set.BT, a, a, d, a), a, a, set.BT, a, transposeY: true); // Bᵀ d B
        var product = u.Zip(v, (x, y) => x * y).ToArray();
        var output = Mul(Mul(set.AT, m, a, product, a), m, a, set.AT, m, transposeY: true); // Aᵀ (U ⊙ V) A
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < m; j++)
            {
                var expected = 0.0;
                for (var ky = 0; ky < r; ky++)
                {
                    for (var kx = 0; kx < r; kx++)
                    {
                        expected += d[((i + ky) * a) + j + kx] * g[(ky * r) + kx];
                    }
                }

                Assert.True(Math.Abs(expected - output[(i * m) + j]) <= 1e-6, $"F({m}x{m}, {r}x{r}) output ({i}, {j}): {output[(i * m) + j]} vs {expected}");
            }
        }
    }

    [Theory]
    [InlineData(1, 20, 13, 11, 20, 3, false)] // edge tiles on both sides (scalar scatter), 20 outputs (a 4-channel tail)
    [InlineData(2, 16, 8, 8, 24, 3, true)]    // whole 4×4 tiles (the vector scatter), two images
    [InlineData(1, 24, 9, 10, 16, 5, true)]   // F(4×4, 5×5)
    public void AResidualInEachAlgorithmsStoreGivesTheBitsOfASeparateAddThenRelu(int n, int c, int h, int w, int m, int k, bool relu)
    {
        var pad = k / 2;
        var p = Conv(n, c, h, w, m, k, 1, pad, pad, pad, pad);
        var x = BackendHarness.Random(n * c * h * w, c + m);
        var weights = BackendHarness.Random(m * c * k * k, c + m + 1);
        var bias = BackendHarness.Random(m, c + m + 2);
        var skip = BackendHarness.Random(p.OutputShape.Length, c + m + 3, 2f);
        var algorithms = k == 3 ? new[] { ConvAlgorithm.Winograd, ConvAlgorithm.Winograd2x2, ConvAlgorithm.Direct } : [ConvAlgorithm.Winograd, ConvAlgorithm.Direct];
        foreach (var algorithm in algorithms)
        {
            foreach (var (bits, fused) in new (int, bool?)[] { (0, true), (0, false), (256, true), (256, false) })
            {
                using var hb = BackendHarness.Open(devices, "cpu", new BackendOptions { ConvAlgorithm = algorithm, VectorBits = bits });
                ((CpuBackend)hb.Backend).Winograd.Fused = fused;
                DeviceTensor xt = hb.Upload(x, n, c, h, w), wt = hb.Upload(weights, m, c, k, k), bt = hb.Upload(bias, m);
                var plain = hb.Empty(p.OutputShape);
                hb.Backend.Conv(plain, xt, wt, bt, p);
                var expected = hb.Download(plain).Select((v, i) => v + skip[i]).Select(v => relu && v < 0f ? 0f : v).ToArray();
                var y = hb.Empty(p.OutputShape);
                hb.Backend.Conv(y, xt, wt, bt, p with { Relu = relu }, hb.Upload(skip, p.OutputShape.Dims.ToArray()));
                SameBits(expected, hb.Download(y), $"{algorithm} {bits}-bit fused {fused} relu {relu}: a separate Add{(relu ? " and Relu" : string.Empty)} and the store");
            }
        }
    }

    [Fact]
    public void TransformedWeightsAreKeptOnAConstantTensorAndRedoneAfterAnUpload()
    {
        using var h = BackendHarness.Open(devices, "cpu", new BackendOptions { ConvAlgorithm = ConvAlgorithm.Winograd });
        var p = Conv3x3(1, 16, 9, 11, 20, 1, 1, 1, 1);
        var x = BackendHarness.Random(p.N * p.C * p.H * p.W, 1);
        var wt = h.Upload(BackendHarness.Random(p.M * p.C * 9, 3), p.M, p.C, 3, 3);
        wt.IsConstant = true;
        var xt = h.Upload(x, p.N, p.C, p.H, p.W);
        var y = h.Empty(p.OutputShape);
        object? packed = null;
        foreach (var (seed, upload) in new[] { (3, false), (3, false), (4, true) })
        {
            var w = BackendHarness.Random(p.M * p.C * 9, seed);
            if (upload)
            {
                h.Backend.Upload(wt, w);
            }

            h.Backend.Conv(y, xt, wt, null, p);
            Assert.NotNull(wt.Derived);
            Assert.True(upload ? !ReferenceEquals(packed, wt.Derived) : packed is null || ReferenceEquals(packed, wt.Derived), "transformed again without an upload");
            packed = wt.Derived;
            Numerics.AssertClose(ReferenceOps.Conv(x, w, null, p), h.Download(y), 1e-4, 1e-4, $"weights of seed {seed}");
        }
    }

    [Fact]
    public void AutoTimesBothAlgorithmsOnceKeepsTheChoiceInItsFileAndALaterBackendReadsIt()
    {
        using var folder = new TempFolder();
        var file = folder.File("conv-choices.json");
        var p = Conv3x3(1, 32, 14, 14, 32, 1, 1, 1, 1);
        var x = BackendHarness.Random(p.N * p.C * p.H * p.W, 1);
        var w = BackendHarness.Random(p.M * p.C * 9, 2);
        var expected = ReferenceOps.Conv(x, w, null, p);
        float[] Forced(ConvAlgorithm algorithm)
        {
            using var h = BackendHarness.Open(devices, "cpu", new BackendOptions { ConvAlgorithm = algorithm });
            var y = h.Empty(p.OutputShape);
            h.Backend.Conv(y, h.Upload(x, p.N, p.C, p.H, p.W), h.Upload(w, p.M, p.C, 3, 3), null, p);
            return h.Download(y);
        }

        var outputs = new Dictionary<string, float[]>
        {
            ["winograd"] = Forced(ConvAlgorithm.Winograd),
            ["winograd2x2"] = Forced(ConvAlgorithm.Winograd2x2),
            ["direct"] = Forced(ConvAlgorithm.Direct),
        };
        Assert.Equal(3, outputs.Values.Select(o => string.Join(',', o.Take(16))).Distinct().Count()); // so the bits below tell which one ran
        outputs["winograd-fused"] = outputs["winograd"]; // the fused pass gives the four passes' bits
        outputs["winograd2x2-fused"] = outputs["winograd2x2"];
        (ConvChoice Choice, int Count) Run()
        {
            using var h = BackendHarness.Open(devices, "cpu", new BackendOptions { ConvChoicesFile = file, Threads = 2 });
            var y = h.Empty(p.OutputShape);
            var (xt, wt) = (h.Upload(x, p.N, p.C, p.H, p.W), h.Upload(w, p.M, p.C, 3, 3));
            h.Backend.Conv(y, xt, wt, null, p);
            var made = ((CpuBackend)h.Backend).ConvChoices;
            Assert.Equal(outputs[made[0].Algorithm], h.Download(y)); // the chosen one's bits, right after timing
            h.Backend.Conv(y, xt, wt, null, p); // met again: not timed again
            Assert.Equal(outputs[made[0].Algorithm], h.Download(y));
            Numerics.AssertClose(expected, h.Download(y), 1e-3, 1e-4, "the chosen algorithm's output");
            return (made[0], made.Count);
        }

        var (first, count) = Run();
        Assert.Equal(1, count);
        Assert.Equal(["direct", "winograd", "winograd2x2"], first.Timings.Select(t => t.Algorithm));
        Assert.All(first.Timings, t => Assert.True(t.Ms > 0, $"{t}"));
        Assert.Equal(ConvChoices.Fastest(first.Timings), first.Algorithm);
        Assert.Equal(first.Algorithm != "direct", first.Winograd);
        Assert.Contains("1x32x14x14>32 g1 k3x3 s1x1 p1,1,1,1 d1x1", first.Geometry, StringComparison.Ordinal);

        // A later backend reads the file instead of timing: the other algorithm written there is what it runs.
        var other = first.Algorithm == "direct" ? "winograd2x2-fused" : "direct";
        var flipped = first with { Algorithm = other, Timings = [new ConvTiming(other, 1)] };
        File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(new[] { flipped }));
        Assert.Equal(Describe(flipped), Describe(Run().Choice));

        // A name this build does not know (a newer build's file) is timed again, not run as something else.
        File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(new[] { first with { Algorithm = "winograd8x8" } }));
        ConvChoices.Forget(null); // this process's memory too, so only the file could answer
        var retimed = Run().Choice;
        Assert.NotEqual("winograd8x8", retimed.Algorithm);
        Assert.Equal(3, retimed.Timings.Count);

        // F(2x2) kept for a 5x5 key (a hand-edited file) is not run (it has no 5x5 form): the layer is timed again.
        var p5 = Conv(1, 16, 9, 9, 16, 5, 1, 2, 2, 2, 2);
        File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(new[] { new ConvChoice(ConvChoices.Key(p5, 2), "winograd2x2", [new ConvTiming("winograd2x2", 1)]) }));
        ConvChoices.Forget(null);
        using (var h5 = BackendHarness.Open(devices, "cpu", new BackendOptions { ConvChoicesFile = file, Threads = 2 }))
        {
            var y5 = h5.Empty(p5.OutputShape);
            h5.Backend.Conv(y5, h5.Upload(BackendHarness.Random(16 * 81, 3), 1, 16, 9, 9), h5.Upload(BackendHarness.Random(16 * 16 * 25, 4), 16, 16, 5, 5), null, p5);
            Assert.DoesNotContain(((CpuBackend)h5.Backend).ConvChoices.Single().Timings, t => t.Algorithm.StartsWith("winograd2x2", StringComparison.Ordinal));
        }

        // A damaged file is rewritten with the choice this process made (in memory since the last timing).
        ConvChoices.Forget(null);
        Run();
        var kept = Run().Choice; // the file's (5x5 entry aside), in this process's memory now
        File.WriteAllText(file, "{ not json");
        Assert.Equal(Describe(kept), Describe(Run().Choice));
        Assert.Equal([Describe(kept)], System.Text.Json.JsonSerializer.Deserialize<ConvChoice[]>(File.ReadAllText(file))!.Select(Describe));
    }

    [Theory]
    [InlineData(1.00, 0.90, 0.95, "winograd")]    // Winograd 10% ahead
    [InlineData(1.00, 0.97, 0.99, "direct")]      // 3% ahead is within the margin: the exact one
    [InlineData(1.00, 0.94, 0.90, "winograd2x2")] // between the Winograd forms, the faster
    [InlineData(0.80, 0.90, 0.95, "direct")]
    public void WinogradMustBeatTheDirectGemmByTheMargin(double direct, double winograd, double winograd2, string chosen) =>
        Assert.Equal(chosen, ConvChoices.Fastest([new ConvTiming("direct", direct), new ConvTiming("winograd", winograd), new ConvTiming("winograd2x2", winograd2)]));

    [Fact]
    public void CandidatesAreTimedInTwoSweepsSoABurstOfLoadOnOneIsNotItsOnlyTime()
    {
        var order = new List<int>();
        var flushes = 0;
        var calls2 = 0;
        long now = 0; // a fake clock: the timed runs take 1 ms, so each best time is confirmed and two sweeps are all
        void Third()
        {
            // Candidate 2's untimed runs (its 1st and 4th calls: the first in each sweep) are slow, as a packing run is.
            order.Add(2);
            calls2++;
            now += (calls2 is 1 or 4 ? 50 : 1) * Stopwatch.Frequency / 1000;
        }

        void Run(int candidate)
        {
            order.Add(candidate);
            now += Stopwatch.Frequency / 1000;
        }

        var best = ConvChoices.TimeCandidates([() => Run(0), () => Run(1), Third], () => flushes++, () => now);

        // Each sweep: a candidate's untimed run, then its timed runs one after another; the second sweep backwards.
        Assert.Equal([0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1, 1, 0, 0, 0], order);
        Assert.Equal(12, flushes);
        Assert.True(best[2] < 40, $"the untimed runs are not timed: best {best[2]} ms");
        Assert.All(best, b => Assert.Equal(1.0, b, 2));
    }

    [Theory]
    [InlineData(new[] { 30.0, 60, 45, 50, 31, 40 }, 3, 30)]           // the third sweep's 31 confirms the first's 30
    [InlineData(new[] { 30.0, 31, 45, 50, 44, 46 }, 6, 30)]           // 31 is the same sweep's: no confirmation
    [InlineData(new[] { 30.0, 50, 50, 31 }, 2, 30)]                   // confirmed in two sweeps: no more
    [InlineData(new[] { 10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120 }, 6, 10)] // never confirmed: six sweeps at most
    public void SweepsGoOnUntilEachBestTimeIsConfirmedByAnotherSweep(double[] noisyMs, int sweeps, double best)
    {
        // A fake clock: candidate 1's timed runs take noisyMs in turn; candidate 0's always 5 ms; untimed runs nothing.
        long now = 0, ms = Stopwatch.Frequency / 1000;
        int calls0 = 0, calls1 = 0, flushes = 0;
        void Zero() => now += calls0++ % (RunsPerSweep + 1) == 0 ? 0 : 5 * ms;
        void One()
        {
            var call = calls1++;
            now += call % (RunsPerSweep + 1) == 0 ? 0 : (long)(noisyMs[Math.Min((call / (RunsPerSweep + 1) * RunsPerSweep) + (call % (RunsPerSweep + 1)) - 1, noisyMs.Length - 1)] * ms);
        }

        var times = ConvChoices.TimeCandidates([Zero, One], () => flushes++, () => now);

        Assert.Equal(sweeps * 2 * RunsPerSweep, flushes);
        Assert.Equal(5, times[0], 2);
        Assert.Equal(best, times[1], 2);
    }

    private const int RunsPerSweep = ConvChoices.RunsPerSweep;

    private static string Describe(ConvChoice c) => $"{c.Geometry} {c.Algorithm} {string.Join(", ", c.Timings)}";

    [Fact]
    public void AutoChoosesWinogradForWide3x3Stride1LayersOnly()
    {
        Assert.True(WinogradConv.Pays(Conv3x3(1, 192, 13, 13, 384, 1, 1, 1, 1)), "AlexNet conv3");
        Assert.True(WinogradConv.Pays(Conv3x3(1, 64, 56, 56, 64, 1, 1, 1, 1)), "ResNet-18 layer1");
        Assert.True(WinogradConv.Pays(Conv3x3(1, 512, 7, 7, 512, 1, 1, 1, 1)), "ResNet-18 layer4");
        Assert.True(WinogradConv.Pays(Conv(1, 64, 27, 27, 192, 5, 1, 2, 2, 2, 2)), "AlexNet conv2, 5×5");
        Assert.False(WinogradConv.Pays(Conv(1, 64, 27, 27, 64, 3, 8, 1, 1, 1, 1)), "eight groups of eight channels");
        Assert.False(WinogradConv.Supports(Conv(1, 64, 27, 27, 64, 7, 1, 3, 3, 3, 3)), "7×7");
        Assert.False(WinogradConv.Pays(Conv3x3(1, 3, 56, 56, 64, 1, 1, 1, 1)), "three input channels");
        Assert.False(WinogradConv.Pays(Conv3x3(1, 64, 56, 56, 8, 1, 1, 1, 1)), "eight outputs");
        Assert.False(WinogradConv.Pays(Conv3x3(1, 64, 1, 1, 64, 1, 1, 1, 1)), "one output position: a 4×4 tile is 16× the work");
        var strided = Conv3x3(1, 64, 56, 56, 64, 1, 1, 1, 1) with { Window = new Window2D(3, 3, 2, 2, 1, 1, 1, 1, 1, 1), OutH = 28, OutW = 28 };
        Assert.False(WinogradConv.Supports(strided), "stride 2");
    }

    [Fact]
    public void TheGeneratedMatricesAreLavinAndGraysForF4x3()
    {
        // Built from the points 0, ±1, ±2, ∞ by the general rule; must equal the published F(4×4, 3×3) matrices that
        // the hand-written 6×6 transforms implement.
        var set = WinogradMatrices.Build(6, 3);
        double[] bt =
        [
            4, 0, -5, 0, 1, 0,
            0, -4, -4, 1, 1, 0,
            0, 4, -4, -1, 1, 0,
            0, -2, -1, 2, 1, 0,
            0, 2, -1, -2, 1, 0,
            0, 4, 0, -5, 0, 1,
        ];
        double[] g =
        [
            1.0 / 4, 0, 0,
            -1.0 / 6, -1.0 / 6, -1.0 / 6,
            -1.0 / 6, 1.0 / 6, -1.0 / 6,
            1.0 / 24, 1.0 / 12, 1.0 / 6,
            1.0 / 24, -1.0 / 12, 1.0 / 6,
            0, 0, 1,
        ];
        double[] at =
        [
            1, 1, 1, 1, 1, 0,
            0, 1, -1, 2, -2, 0,
            0, 1, 1, 4, 4, 0,
            0, 1, -1, 8, -8, 1,
        ];
        Assert.Equal(bt, set.BT, new ToleranceComparer(1e-12));
        Assert.Equal(g, set.G, new ToleranceComparer(1e-12));
        Assert.Equal(at, set.AT, new ToleranceComparer(1e-12));
        Assert.Equal(4, WinogradMatrices.Build(8, 5).Tile);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }

    /// <summary>Both register tiles, the widest here (512-bit where AVX-512 is) and the 256-bit one forced, and for
    /// Winograd both its fused pass and its four passes forced: each against the reference, and bit for bit the
    /// same (every output sums its taps in one order in all of them).</summary>
    private void Check(ConvParams p, int seed, ConvAlgorithm algorithm)
    {
        var widest = Check(p, seed, algorithm, 0, null);
        SameBits(widest, Check(p, seed, algorithm, 256, null), "512- and 256-bit tiles");
        if (algorithm is ConvAlgorithm.Winograd or ConvAlgorithm.Winograd2x2)
        {
            SameBits(widest, Check(p, seed, algorithm, 0, true), "the chosen and the fused Winograd passes");
            SameBits(widest, Check(p, seed, algorithm, 0, false), "the chosen and the four Winograd passes");
            SameBits(widest, Check(p, seed, algorithm, 256, true), "the 512-bit chosen and the 256-bit fused Winograd passes");
            SameBits(widest, Check(p, seed, algorithm, 256, false), "the 512-bit chosen and the 256-bit four Winograd passes");
        }
    }

    private static void SameBits(float[] a, float[] b, string what)
    {
        var differ = Enumerable.Range(0, a.Length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i]), -1);
        Assert.True(differ < 0, $"{what} differ at {differ}: {(differ < 0 ? 0 : a[differ])} vs {(differ < 0 ? 0 : b[differ])}");
    }

    private float[] Check(ConvParams p, int seed, ConvAlgorithm algorithm, int vectorBits, bool? fused)
    {
        using var h = BackendHarness.Open(devices, "cpu", new BackendOptions { ConvAlgorithm = algorithm, VectorBits = vectorBits });
        ((CpuBackend)h.Backend).Winograd.Fused = fused;
        var x = BackendHarness.Random(p.N * p.C * p.H * p.W, seed);
        int k = p.Window.KernelH, taps = p.GroupInputs * k * k;
        var w = BackendHarness.Random(p.M * taps, seed + 100);
        var b = seed % 3 == 0 ? null : BackendHarness.Random(p.M, seed + 200);
        var y = h.Empty(p.OutputShape);
        h.Backend.Conv(y, h.Upload(x, p.N, p.C, p.H, p.W), h.Upload(w, p.M, p.GroupInputs, k, k), b is null ? null : h.Upload(b, p.M), p);
        // Outputs here spread as √(taps)/3 (uniform ±1 inputs and weights); Winograd over 6×6 patches in fp32 errs by
        // ~1e-5 of that spread (its transforms scale by up to 8 and 5), direct convolution by ~1e-7.
        var atol = 3e-4 * Math.Sqrt(taps) / 3;
        var result = h.Download(y);
        Numerics.AssertClose(ReferenceOps.Conv(x, w, b, p), result, atol, 1e-4, $"{algorithm} {h.Backend.Name} fused: {fused?.ToString() ?? "chosen"} {p}");
        return result;
    }

    private static ConvParams Conv3x3(int n, int c, int h, int w, int m, int pt, int pl, int pb, int pr) => Conv(n, c, h, w, m, 3, 1, pt, pl, pb, pr);

    private static ConvParams Conv(int n, int c, int h, int w, int m, int k, int groups, int pt, int pl, int pb, int pr)
    {
        var outH = Window2D.Resolve("NOTSET", h, k, 1, 1, ref pt, ref pb);
        var outW = Window2D.Resolve("NOTSET", w, k, 1, 1, ref pl, ref pr);
        return new ConvParams(n, c, h, w, m, groups, new Window2D(k, k, 1, 1, pt, pl, pb, pr, 1, 1), outH, outW);
    }
}
