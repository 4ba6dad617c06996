// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Tests;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;

namespace ConvLive.Engine.Tests.Ops.Conv;

/// <summary>Conv on every backend against the naive reference, over random shapes, strides, pads, dilations and groups.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class ConvOpTests(DeviceFixture devices)
{
    // Seeds 0-15: one or two outputs per group (the direct path on the CPU); 16-31: 5 to 40 (the GEMM path).
    public static TheoryData<string, int> Cases() =>
        DeviceSeeds(["cpu", "cpu-256", "ilgpu-cpu", "ilgpu-warp32", "cuda"], Enumerable.Range(0, 32));

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void ConvMatchesTheNaiveReference(string device, int seed)
    {
        using var h = Open(device);
        var p = RandomConv(seed) with { Relu = seed % 4 == 1 }; // a fused Relu on a quarter of the cases
        var win = p.Window;
        var x = BackendHarness.Random(p.N * p.C * p.H * p.W, seed);
        var w = BackendHarness.Random(p.M * p.GroupInputs * win.KernelH * win.KernelW, seed + 100);
        var b = seed % 3 == 0 ? null : BackendHarness.Random(p.M, seed + 200);
        var y = h.Empty(p.OutputShape);

        h.Backend.Conv(y, h.Upload(x, p.N, p.C, p.H, p.W), h.Upload(w, p.M, p.GroupInputs, win.KernelH, win.KernelW), b is null ? null : h.Upload(b, p.M), p);

        Numerics.AssertClose(ReferenceOps.Conv(x, w, b, p), h.Download(y), 1e-5, 1e-4, $"{device} {p}");
    }

    public static TheoryData<string, int> LargeCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var device in new[] { "cpu", "cpu-256", "ilgpu-cpu", "ilgpu-warp32", "cuda" })
        {
            for (var geometry = 0; geometry < 10; geometry++)
            {
                data.Add(device, geometry);
            }
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(LargeCases))]
    public void ALargerConvMatchesTheNaiveReference(string device, int geometry)
    {
        // Larger than the random cases: on ILGPU's implicit GEMM these span several 64×64 blocks, partial blocks and
        // many 16-deep slabs of taps on a GPU-shaped device (16×16 blocks, 4-deep slabs on the plain simulator); on
        // the CPU's direct GEMM, thousands of output positions per panel, the last row block short.
        using var h = Open(device);
        var p = geometry switch
        {
            0 => Geometry(n: 2, c: 6, hw: 13, m: 70, groups: 2, k: 3, stride: 1, pad: 1, dilation: 1),   // two images, two groups
            1 => Geometry(n: 1, c: 40, hw: 9, m: 130, groups: 1, k: 3, stride: 1, pad: 1, dilation: 1),  // 360 taps, three row blocks
            2 => Geometry(n: 1, c: 3, hw: 31, m: 24, groups: 1, k: 11, stride: 4, pad: 2, dilation: 1),  // AlexNet conv1's window
            3 => Geometry(n: 2, c: 3, hw: 64, m: 40, groups: 1, k: 7, stride: 2, pad: 3, dilation: 1),   // ResNet's stem window: 1,024 positions an image
            4 => Geometry(n: 1, c: 4, hw: 70, m: 36, groups: 2, k: 3, stride: 1, pad: 1, dilation: 1),   // 4,900 positions, two groups of 18 outputs
            5 => Geometry(n: 2, c: 8, hw: 21, m: 13, groups: 1, k: 3, stride: 1, pad: 1, dilation: 1),   // 441 positions, 13 outputs: the 16-channel tiles over several chunks
            6 => Geometry(n: 2, c: 12, hw: 41, m: 40, groups: 2, k: 1, stride: 2, pad: 0, dilation: 1),  // a 1×1 stride-2 projection, unpadded: read in place, two images, two groups
            7 => Geometry(n: 2, c: 6, hw: 16, m: 36, groups: 1, k: 3, stride: 1, pad: 0, dilation: 1),   // unpadded 3×3: 196 positions an image, chunks × panels
            8 => Geometry(n: 2, c: 16, hw: 17, m: 128, groups: 1, k: 3, stride: 2, pad: 0, dilation: 1, width: 23), // unpadded, not square, whole 64-channel panels
            _ => Geometry(n: 1, c: 64, hw: 27, m: 256, groups: 1, k: 3, stride: 2, pad: 1, dilation: 1),  // 590 KB of packed weights: panel by panel, 3 chunks
        } with { Relu = geometry != 1 };
        var win = p.Window;
        var x = BackendHarness.Random(p.N * p.C * p.H * p.W, geometry);
        if (geometry >= 3 && geometry <= 4)
        {
            x[x.Length / 3] = float.NaN; // reaches every output whose window holds it, through the fused Relu too
        }

        var w = BackendHarness.Random(p.M * p.GroupInputs * win.KernelH * win.KernelW, geometry + 100, 0.2f);
        var b = BackendHarness.Random(p.M, geometry + 200);
        var y = h.Empty(p.OutputShape);

        h.Backend.Conv(y, h.Upload(x, p.N, p.C, p.H, p.W), h.Upload(w, p.M, p.GroupInputs, win.KernelH, win.KernelW), h.Upload(b, p.M), p);

        Numerics.AssertClose(ReferenceOps.Conv(x, w, b, p), h.Download(y), 1e-5, 1e-4, $"{device} {p}");
    }

    private static ConvParams Geometry(int n, int c, int hw, int m, int groups, int k, int stride, int pad, int dilation, int? width = null)
    {
        int pt = pad, pb = pad, pl = pad, pr = pad, w = width ?? hw;
        var outH = Window2D.Resolve("NOTSET", hw, k, stride, dilation, ref pt, ref pb);
        var outW = Window2D.Resolve("NOTSET", w, k, stride, dilation, ref pl, ref pr);
        return new ConvParams(n, c, hw, w, m, groups, new Window2D(k, k, stride, stride, pt, pl, pb, pr, dilation, dilation), outH, outW);
    }

    // Direct and GEMM paths, Relu (seed % 4 == 1) or not.
    public static TheoryData<string, int> ResidualCases() =>
        DeviceSeeds(["cpu", "cpu-256", "ilgpu-cpu", "cuda"], [0, 1, 5, 9, 13, 16, 17, 21, 22, 25, 29, 30]);

    private static TheoryData<string, int> DeviceSeeds(string[] devices, IEnumerable<int> seeds)
    {
        var data = new TheoryData<string, int>();
        foreach (var device in devices)
        {
            foreach (var seed in seeds)
            {
                data.Add(device, seed);
            }
        }

        return data;
    }

    /// <summary>A device by name; cpu-256 is the cpu backend with its 256-bit (AVX2) register tiles forced, where it
    /// would take 512-bit ones.</summary>
    private BackendHarness Open(string device) =>
        device == "cpu-256" ? BackendHarness.Open(devices, "cpu", new Backends.BackendOptions { VectorBits = 256 }) : BackendHarness.Open(devices, device);

    [SkippableTheory]
    [MemberData(nameof(ResidualCases))]
    public void AResidualInTheStoreGivesTheBitsOfASeparateAddThenRelu(string device, int seed)
    {
        // A residual block's end, Conv → Add(skip) → Relu, as one store: the conv's sum and bias, then the skip, then
        // the Relu (below 0 becomes 0; the skip may turn a negative sum positive and back).
        using var h = Open(device);
        var relu = seed % 4 == 1;
        var p = RandomConv(seed);
        var win = p.Window;
        var x = h.Upload(BackendHarness.Random(p.N * p.C * p.H * p.W, seed), p.N, p.C, p.H, p.W);
        var w = h.Upload(BackendHarness.Random(p.M * p.GroupInputs * win.KernelH * win.KernelW, seed + 100), p.M, p.GroupInputs, win.KernelH, win.KernelW);
        var b = seed % 3 == 0 ? null : h.Upload(BackendHarness.Random(p.M, seed + 200), p.M);
        var skip = BackendHarness.Random(p.OutputShape.Length, seed + 300, 2f);
        var plain = h.Empty(p.OutputShape);
        h.Backend.Conv(plain, x, w, b, p);
        var expected = h.Download(plain).Select((v, i) => v + skip[i]).Select(v => relu && v < 0f ? 0f : v).ToArray();

        var fused = h.Empty(p.OutputShape);
        h.Backend.Conv(fused, x, w, b, p with { Relu = relu }, h.Upload(skip, p.OutputShape.Dims.ToArray()));
        var actual = h.Download(fused);

        Numerics.AssertClose(expected, actual, 0, 0, $"{device} {p} relu {relu}");
        Assert.Contains(expected, v => relu ? v == 0f : v < 0f); // the Relu (or its absence) shows
    }

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    public void AResidualOfAnotherShapeOrTheOutputItselfIsRefused(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var p = RandomConv(20);
        var win = p.Window;
        var x = h.Upload(BackendHarness.Random(p.N * p.C * p.H * p.W, 1), p.N, p.C, p.H, p.W);
        var w = h.Upload(BackendHarness.Random(p.M * p.GroupInputs * win.KernelH * win.KernelW, 2), p.M, p.GroupInputs, win.KernelH, win.KernelW);
        var y = h.Empty(p.OutputShape);
        var wrong = h.Empty(new Tensors.TensorShape(p.N, p.M + 1, p.OutH, p.OutW));
        Assert.Contains("residual", Assert.Throws<ArgumentException>(() => h.Backend.Conv(y, x, w, null, p, wrong)).Message);
        Assert.Throws<ArgumentException>(() => h.Backend.Conv(y, x, w, null, p, y));
        Assert.Throws<ArgumentException>(() => h.Backend.Conv(y, x, w, null, p, y.Reshape(p.OutputShape))); // a view of y is y
    }

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    public void AnOutputThatIsTheInputIsRefused(string device)
    {
        // Unpadded inputs are read in place while outputs are stored: the same tensor (or a view of it) would be
        // overwritten under the reads.
        using var h = BackendHarness.Open(devices, device);
        var p = Geometry(n: 1, c: 20, hw: 6, m: 20, groups: 1, k: 3, stride: 1, pad: 1, dilation: 1);
        var x = h.Upload(BackendHarness.Random(20 * 36, 1), 1, 20, 6, 6);
        var w = h.Upload(BackendHarness.Random(20 * 20 * 9, 2), 20, 20, 3, 3);
        Assert.Contains("other than its input", Assert.Throws<ArgumentException>(() => h.Backend.Conv(x, x, w, null, p)).Message);
        Assert.Throws<ArgumentException>(() => h.Backend.Conv(x.Reshape(p.OutputShape), x, w, null, p));
    }

    [Fact]
    public void ConstantWeightsArePackedOnceAndRepackedAfterAnUpload()
    {
        using var h = BackendHarness.Open(devices, "cpu");
        var p = RandomConv(21);
        var win = p.Window;
        var x = BackendHarness.Random(p.N * p.C * p.H * p.W, 1);
        var b = BackendHarness.Random(p.M, 2);
        var shape = new[] { p.M, p.GroupInputs, win.KernelH, win.KernelW };
        var wt = h.Upload(BackendHarness.Random(p.M * p.GroupInputs * win.KernelH * win.KernelW, 3), shape);
        wt.IsConstant = true;
        var xt = h.Upload(x, p.N, p.C, p.H, p.W);
        var bt = h.Upload(b, p.M);
        var y = h.Empty(p.OutputShape);
        object? packed = null;
        foreach (var (seed, upload) in new[] { (3, false), (3, false), (4, true) })
        {
            var w = BackendHarness.Random(p.M * p.GroupInputs * win.KernelH * win.KernelW, seed);
            if (upload)
            {
                h.Backend.Upload(wt, w);
                Assert.Null(wt.Derived);
            }

            h.Backend.Conv(y, xt, wt, bt, p);
            Assert.NotNull(wt.Derived);
            Assert.True(upload ? !ReferenceEquals(packed, wt.Derived) : packed is null || ReferenceEquals(packed, wt.Derived), "packed again without an upload");
            packed = wt.Derived;
            Numerics.AssertClose(ReferenceOps.Conv(x, w, b, p), h.Download(y), 1e-5, 1e-4, $"weights of seed {seed}");
        }
    }

    internal static ConvParams RandomConv(int seed)
    {
        var r = new Random(seed);
        var groups = (seed % 4) switch { 0 => 1, 1 => 2, 2 => 3, _ => 1 };
        var depthwise = seed % 5 == 4;
        var cg = depthwise ? 1 : r.Next(1, 4);
        var c = depthwise ? r.Next(2, 5) : groups * cg;
        groups = depthwise ? c : groups;
        var m = groups * (seed < 16 ? r.Next(1, 3) : r.Next(5, 41));
        int h = r.Next(3, 13), w = r.Next(3, 13);
        int kh = r.Next(1, 5), kw = r.Next(1, 5), sh = r.Next(1, 4), sw = r.Next(1, 4), dh = r.Next(1, 3), dw = r.Next(1, 3);
        int pt = r.Next(0, 3), pl = r.Next(0, 3), pb = r.Next(0, 3), pr = r.Next(0, 3);
        kh = Math.Min(kh, ((h + pt + pb - 1) / dh) + 1);
        kw = Math.Min(kw, ((w + pl + pr - 1) / dw) + 1);
        var outH = Window2D.Resolve("NOTSET", h, kh, sh, dh, ref pt, ref pb);
        var outW = Window2D.Resolve("NOTSET", w, kw, sw, dw, ref pl, ref pr);
        return new ConvParams(r.Next(1, 3), c, h, w, m, groups, new Window2D(kh, kw, sh, sw, pt, pl, pb, pr, dh, dw), outH, outW);
    }
}
