// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.Intrinsics;
using ConvLive.Engine.Backends.Cpu;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Conv;

/// <summary>The register tiles convolutions share: the 512-bit 8×16, 6×32 and 6×64 tiles and the 256-bit 6×16 tile
/// sum every output's taps in the same order, so they give the same bits. Called directly, so a machine without AVX-512 runs
/// the 512-bit tile too (.NET's software Vector512 fuses its multiply-adds as the hardware does).</summary>
public sealed unsafe class ConvTileTests
{
    [SkippableTheory]
    [InlineData(2, false)]
    [InlineData(6, true)]
    [InlineData(256, false)]
    [InlineData(256, true)]
    public void The512And256BitTilesGiveTheSameBits(int kc, bool accumulate)
    {
        Skip.IfNot(Vector256.IsHardwareAccelerated, "no 256-bit vectors here: the 256-bit tile falls back to scalar code");
        const int Stride = 300;
        var r = new Random(kc);
        var w = BackendHarness.Random(kc * ConvTile.NR, kc);
        var x = BackendHarness.Random(8 * Stride, kc + 1);
        var offsets = Enumerable.Range(0, kc).Select(_ => r.Next(Stride)).ToArray();
        var start = BackendHarness.Random(10 * ConvTile.NR, kc + 2); // rows 8 and 9: room for the four-row call's repeats
        var (wide, narrow) = ((float[])start.Clone(), (float[])start.Clone());

        fixed (float* wp = w, xp = x, a = wide, b = narrow)
        fixed (int* o = offsets)
        {
            var row = new nint[8];
            for (var i = 0; i < 8; i++)
            {
                row[i] = (nint)(xp + (i * Stride));
            }

            float* Row(int i) => (float*)row[i];
            ConvTile.Tile512<EightRows, Prefetching>(kc, wp, o, Row(0), Row(1), Row(2), Row(3), Row(4), Row(5), Row(6), Row(7), a, accumulate);
            ConvTile.Tile256<SixRows, Prefetching>(kc, wp, o, Row(0), Row(1), Row(2), Row(3), Row(4), Row(5), b, accumulate);
            ConvTile.Tile256<FourRows, NoPrefetching>(kc, wp, o, Row(6), Row(7), Row(6), Row(7), null, null, b + (6 * ConvTile.NR), accumulate);
        }

        // Rows 6 and 7 came from a four-row call whose last two rows repeat them (written to rows 8 and 9, not compared).
        var differ = Enumerable.Range(0, 8 * ConvTile.NR).FirstOrDefault(i => BitConverter.SingleToInt32Bits(wide[i]) != BitConverter.SingleToInt32Bits(narrow[i]), -1);
        Assert.True(differ < 0, $"row {differ / ConvTile.NR}, channel {differ % ConvTile.NR}: {(differ < 0 ? 0 : wide[differ])} vs {(differ < 0 ? 0 : narrow[differ])}");
        Assert.NotEqual(start[..(8 * ConvTile.NR)], wide[..(8 * ConvTile.NR)]); // the tile wrote something
    }

    [SkippableTheory]
    [InlineData(2, false, 32)]
    [InlineData(256, true, 32)]
    [InlineData(2, false, 64)]
    [InlineData(256, true, 64)]
    [InlineData(6, true, 64)]
    public void The512Bit6RowTilesGiveTheBitsOf256Bit16ChannelTiles(int kc, bool accumulate, int nr)
    {
        Skip.IfNot(Vector256.IsHardwareAccelerated, "no 256-bit vectors here: the 256-bit tile falls back to scalar code");
        const int Stride = 300;
        var r = new Random(kc + 7);
        var w = BackendHarness.Random(kc * nr, kc);
        var panels = nr / ConvTile.NR;
        var narrowW = new float[panels][]; // the same weights as 16-channel panels
        for (var q = 0; q < panels; q++)
        {
            narrowW[q] = new float[kc * ConvTile.NR];
            for (var k = 0; k < kc; k++)
            {
                Array.Copy(w, (k * nr) + (q * ConvTile.NR), narrowW[q], k * ConvTile.NR, ConvTile.NR);
            }
        }

        var x = BackendHarness.Random(6 * Stride, kc + 1);
        var offsets = Enumerable.Range(0, kc).Select(_ => r.Next(Stride)).ToArray();
        var start = BackendHarness.Random(6 * nr, kc + 2);
        var wide = (float[])start.Clone();
        var narrowAcc = new float[panels][];
        for (var q = 0; q < panels; q++)
        {
            narrowAcc[q] = new float[6 * ConvTile.NR];
            for (var row = 0; row < 6; row++)
            {
                Array.Copy(start, (row * nr) + (q * ConvTile.NR), narrowAcc[q], row * ConvTile.NR, ConvTile.NR);
            }
        }

        fixed (float* wp = w, xp = x, wideP = wide)
        fixed (int* o = offsets)
        {
            var rows = new nint[6];
            for (var i = 0; i < 6; i++)
            {
                rows[i] = (nint)(xp + (i * Stride));
            }

            float* Row(int i) => (float*)rows[i];
            if (nr == ConvTile.NR64)
            {
                ConvTile.Tile512x64<SixRows>(kc, wp, o, Row(0), Row(1), Row(2), Row(3), Row(4), Row(5), wideP, accumulate);
            }
            else
            {
                ConvTile.Tile512x32<SixRows>(kc, wp, o, Row(0), Row(1), Row(2), Row(3), Row(4), Row(5), wideP, accumulate);
            }

            for (var q = 0; q < panels; q++)
            {
                fixed (float* np = narrowW[q], ap = narrowAcc[q])
                {
                    ConvTile.Tile256<SixRows, Prefetching>(kc, np, o, Row(0), Row(1), Row(2), Row(3), Row(4), Row(5), ap, accumulate);
                }
            }
        }

        for (var i = 0; i < wide.Length; i++)
        {
            var (row, channel) = (i / nr, i % nr);
            var narrow = narrowAcc[channel / ConvTile.NR][(row * ConvTile.NR) + (channel % ConvTile.NR)];
            Assert.True(BitConverter.SingleToInt32Bits(wide[i]) == BitConverter.SingleToInt32Bits(narrow), $"6x{nr}: row {row}, channel {channel}: {wide[i]} vs {narrow}");
        }

        Assert.NotEqual(start, wide); // the tile wrote something
    }

    [SkippableFact]
    public void AConvolutionOnWhole64ChannelPanelsGivesTheSameBitsWithEitherVectorWidth()
    {
        Skip.IfNot(ConvTile.WideAvailable, "no 512-bit vectors here: both runs would take the 256-bit tiles (the tile itself is compared above)");

        // 128 outputs in two groups of 64 (one 64-channel panel each on 512-bit vectors), 63 positions (ten 6-row
        // blocks and a short one), stride 2: the direct GEMM on the 6x64 tile against 16-channel 256-bit panels.
        SameBitsWithEitherVectorWidth(new ConvLive.Engine.Ops.ConvParams(1, 16, 13, 17, 128, 2, new ConvLive.Engine.Ops.Window2D(3, 3, 2, 2, 1, 1, 1, 1, 1, 1), 7, 9) { Relu = true }, 4, "direct, 64-channel panels");
    }

    [Fact]
    public void ADirectConvolutionGivesTheSameBitsWithEitherVectorWidth()
    {
        // 40 outputs: a 32-channel panel and a partial one on 512-bit vectors, 16-channel panels on 256-bit ones;
        // stride 2 and a 5x5 window, so the direct GEMM runs (not Winograd).
        SameBitsWithEitherVectorWidth(new ConvLive.Engine.Ops.ConvParams(1, 24, 23, 19, 40, 1, new ConvLive.Engine.Ops.Window2D(5, 5, 2, 2, 2, 2, 2, 2, 1, 1), 12, 10), 1, "direct, widest tiles");
    }

    /// <summary>The convolution on the widest tiles here and on 256-bit ones: the same bits, and close to the reference.</summary>
    private static void SameBitsWithEitherVectorWidth(ConvLive.Engine.Ops.ConvParams p, int seed, string what)
    {
        var (kh, kw) = (p.Window.KernelH, p.Window.KernelW);
        var x = BackendHarness.Random(p.C * p.H * p.W, seed);
        var w = BackendHarness.Random(p.M * p.GroupInputs * kh * kw, seed + 1);
        var b = BackendHarness.Random(p.M, seed + 2);
        float[] Run(int bits)
        {
            using var devices = new DeviceFixture();
            using var h = BackendHarness.Open(devices, "cpu", new ConvLive.Engine.Backends.BackendOptions { VectorBits = bits });
            var y = h.Empty(p.OutputShape);
            h.Backend.Conv(y, h.Upload(x, p.N, p.C, p.H, p.W), h.Upload(w, p.M, p.GroupInputs, kh, kw), h.Upload(b, p.M), p);
            return h.Download(y);
        }

        var (widest, narrow) = (Run(0), Run(256));
        Assert.Equal(narrow.Select(BitConverter.SingleToInt32Bits), widest.Select(BitConverter.SingleToInt32Bits));
        Numerics.AssertClose(ConvLive.Engine.Reference.ReferenceOps.Conv(x, w, b, p), widest, 1e-4, 1e-4, what);
    }
}
