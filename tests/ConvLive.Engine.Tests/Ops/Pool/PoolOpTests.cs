// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Tests;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;

namespace ConvLive.Engine.Tests.Ops.Pool;

/// <summary>Max, average (with and without count_include_pad, ceil mode) and L2 pooling against the naive reference.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class PoolOpTests(DeviceFixture devices)
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var device in new[] { "cpu", "ilgpu-cpu", "cuda" })
        {
            for (var seed = 0; seed < 18; seed++)
            {
                data.Add(device, seed);
            }
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void PoolingMatchesTheNaiveReference(string device, int seed)
    {
        using var h = BackendHarness.Open(devices, device);
        var r = new Random(seed);
        var kind = (PoolKind)(seed % 3);
        int n = r.Next(1, 3), c = r.Next(1, 4), height = r.Next(2, 12), width = r.Next(2, 12);
        int kh = r.Next(1, 4), kw = r.Next(1, 4), sh = r.Next(1, 3), sw = r.Next(1, 3);
        var dil = kind == PoolKind.Max && seed % 4 == 0 ? 2 : 1;
        int pt = Math.Min(r.Next(0, 2), kh - 1), pl = Math.Min(r.Next(0, 2), kw - 1), pb = Math.Min(r.Next(0, 2), kh - 1), pr = Math.Min(r.Next(0, 2), kw - 1);
        kh = Math.Min(kh, ((height + pt + pb - 1) / dil) + 1);
        kw = Math.Min(kw, ((width + pl + pr - 1) / dil) + 1);
        var ceil = kind != PoolKind.L2 && seed % 2 == 1;
        var outH = Window2D.Resolve("NOTSET", height, kh, sh, dil, ref pt, ref pb, ceil);
        var outW = Window2D.Resolve("NOTSET", width, kw, sw, dil, ref pl, ref pr, ceil);
        var p = new PoolParams(kind, n, c, height, width, new Window2D(kh, kw, sh, sw, pt, pl, pb, pr, dil, dil), outH, outW, seed % 4 >= 2);
        var x = BackendHarness.Random(n * c * height * width, seed);
        if (seed % 5 == 1)
        {
            x[seed % x.Length] = float.NaN; // a NaN reaches every output whose window holds it
        }

        var y = h.Empty(p.OutputShape);

        h.Backend.Pool(y, h.Upload(x, n, c, height, width), p);

        Numerics.AssertClose(ReferenceOps.Pool(x, p), h.Download(y), 1e-6, 1e-5, $"{device} {p}");
    }

    /// <summary>
    /// The CPU's vector max pooling (rows reduced, then a sliding maximum picked at the stride) on shapes the
    /// random cases above rarely reach: ResNet's 3×3 stride-2 pad-1 stem pool, wide windows, strides past the
    /// window, padding on one side, ceil mode, all-negative inputs (padding must not win) and NaN.
    /// </summary>
    [SkippableTheory]
    [InlineData(112, 112, 3, 3, 2, 2, 1, 1, 1, 1, false, 0)]
    [InlineData(55, 55, 3, 3, 2, 2, 0, 0, 0, 0, false, 1)]
    [InlineData(13, 17, 3, 3, 2, 2, 0, 0, 0, 0, true, 2)]
    [InlineData(9, 40, 2, 5, 1, 1, 1, 2, 0, 2, false, 3)]
    [InlineData(7, 23, 4, 4, 3, 5, 1, 3, 2, 0, true, 4)]
    [InlineData(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, false, 5)]
    [InlineData(6, 33, 3, 7, 2, 1, 2, 6, 2, 6, false, 6)]
    [InlineData(5, 4000, 2, 3, 2, 1, 0, 1, 0, 1, true, 7)]
    [InlineData(64, 64, 2, 2, 2, 2, 0, 0, 0, 0, false, 8)] // stride 2 in whole vectors of outputs (32: two of 16, four of 8)
    [InlineData(20, 70, 3, 5, 1, 2, 1, 2, 1, 2, false, 9)] // a 5-wide window at stride 2: picks from three pairs of vectors
    [InlineData(8, 31, 3, 3, 2, 2, 1, 1, 1, 1, true, 10)] // 16 outputs, the last window past the row
    [InlineData(3, 3, 3, 4, 2, 2, 0, 1, 0, 2, false, 12)] // a single output shorter than a vector
    [InlineData(6, 250, 3, 3, 2, 2, 1, 1, 1, 1, false, 13)] // 125 outputs: seven vectors of 16 and a tail
    public void CpuVectorMaxPoolingMatchesTheNaiveReference(int height, int width, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, bool ceil, int seed)
    {
        CpuVectorMaxPooling(BackendHarness.Open(devices, "cpu"), height, width, kh, kw, sh, sw, pt, pl, pb, pr, ceil, seed);
        CpuVectorMaxPooling(BackendHarness.Open(devices, "cpu", new Backends.BackendOptions { VectorBits = 256 }), height, width, kh, kw, sh, sw, pt, pl, pb, pr, ceil, seed);
    }

    [SkippableTheory]
    [InlineData(16)]
    [InlineData(8)]
    public void TheStride2PickGivesEachWindowsMaximumAtEitherWidth(int lanes)
    {
        // Called directly, so each width runs where the CPU has it (a backend picks the widest): every window width
        // 1-5 and output count 1-40 (whole vectors and tails), with NaN, signed zeros and slack holding garbage.
        Skip.If(lanes == 16 && !(System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated), "no AVX-512 here");
        Skip.If(lanes == 8 && !System.Runtime.Intrinsics.X86.Avx2.IsSupported, "no AVX2 here");
        var random = new Random(lanes);
        for (var kernelW = 1; kernelW <= 5; kernelW++)
        {
            for (var count = 1; count <= 40; count++)
            {
                var span = (2 * (count - 1)) + kernelW;
                var row = new float[span + Backends.Cpu.MaxPoolRows.Slack];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = i >= span ? 1e30f : random.Next(12) switch { 0 => float.NaN, 1 => -0f, 2 => 0f, _ => (float)random.NextDouble() - 0.5f };
                }

                var output = new float[count + 1];
                output[count] = 42f; // past the outputs: must stay
                Backends.Cpu.MaxPoolRows.PickStride2(output.AsSpan(0, count), row, kernelW, lanes);
                for (var ox = 0; ox < count; ox++)
                {
                    var expected = row[2 * ox];
                    for (var j = 1; j < kernelW; j++)
                    {
                        expected = MathF.Max(expected, row[(2 * ox) + j]);
                    }

                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(output[ox]) || (float.IsNaN(expected) && float.IsNaN(output[ox])),
                        $"lanes {lanes}, window {kernelW}, {count} outputs: output {ox} is {output[ox]}, expected {expected}");
                }

                Assert.Equal(42f, output[count]);
            }
        }
    }

    private static void CpuVectorMaxPooling(BackendHarness h, int height, int width, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, bool ceil, int seed)
    {
        using var owned = h;
        const int n = 1, c = 3;
        var outH = Window2D.Resolve("NOTSET", height, kh, sh, 1, ref pt, ref pb, ceil);
        var outW = Window2D.Resolve("NOTSET", width, kw, sw, 1, ref pl, ref pr, ceil);
        var p = new PoolParams(PoolKind.Max, n, c, height, width, new Window2D(kh, kw, sh, sw, pt, pl, pb, pr, 1, 1), outH, outW, false);
        var x = BackendHarness.Random(n * c * height * width, seed);
        if (seed % 2 == 0)
        {
            for (var i = 0; i < x.Length; i++)
            {
                x[i] = -1f - Math.Abs(x[i]); // every value below zero: a padded zero or an unfilled slot would win
            }
        }

        if (seed % 3 == 1)
        {
            x[(seed * 7919) % x.Length] = float.NaN;
        }

        var y = h.Empty(p.OutputShape);
        h.Backend.Pool(y, h.Upload(x, n, c, height, width), p);

        Numerics.AssertClose(ReferenceOps.Pool(x, p), h.Download(y), 0, 0, $"{h.Backend.Name}: {p}");
    }
}
