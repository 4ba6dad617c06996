// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.Intrinsics;
using ConvLive.Engine.Backends.Cpu;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Conv;

/// <summary>The two register tiles convolutions share: the 512-bit 8×16 tile and the 256-bit 6×16 tile sum every
/// output's taps in the same order, so they give the same bits. Called directly, so a machine without AVX-512 runs
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
            ConvTile.Tile512<EightRows>(kc, wp, o, Row(0), Row(1), Row(2), Row(3), Row(4), Row(5), Row(6), Row(7), a, accumulate);
            ConvTile.Tile256<SixRows>(kc, wp, o, Row(0), Row(1), Row(2), Row(3), Row(4), Row(5), b, accumulate);
            ConvTile.Tile256<FourRows>(kc, wp, o, Row(6), Row(7), Row(6), Row(7), null, null, b + (6 * ConvTile.NR), accumulate);
        }

        // Rows 6 and 7 came from a four-row call whose last two rows repeat them (written to rows 8 and 9, not compared).
        var differ = Enumerable.Range(0, 8 * ConvTile.NR).FirstOrDefault(i => BitConverter.SingleToInt32Bits(wide[i]) != BitConverter.SingleToInt32Bits(narrow[i]), -1);
        Assert.True(differ < 0, $"row {differ / ConvTile.NR}, channel {differ % ConvTile.NR}: {(differ < 0 ? 0 : wide[differ])} vs {(differ < 0 ? 0 : narrow[differ])}");
        Assert.NotEqual(start[..(8 * ConvTile.NR)], wide[..(8 * ConvTile.NR)]); // the tile wrote something
    }

    [SkippableTheory]
    [InlineData(2, false)]
    [InlineData(256, true)]
    public void The512Bit6x32TileGivesTheBitsOfTwo256Bit16ChannelTiles(int kc, bool accumulate)
    {
        Skip.IfNot(Vector256.IsHardwareAccelerated, "no 256-bit vectors here: the 256-bit tile falls back to scalar code");
        const int Stride = 300;
        var r = new Random(kc + 7);
        var w = BackendHarness.Random(kc * ConvTile.NR32, kc);
        var (low, high) = (new float[kc * ConvTile.NR], new float[kc * ConvTile.NR]); // the same weights as two 16-channel panels
        for (var k = 0; k < kc; k++)
        {
            Array.Copy(w, k * ConvTile.NR32, low, k * ConvTile.NR, ConvTile.NR);
            Array.Copy(w, (k * ConvTile.NR32) + ConvTile.NR, high, k * ConvTile.NR, ConvTile.NR);
        }

        var x = BackendHarness.Random(6 * Stride, kc + 1);
        var offsets = Enumerable.Range(0, kc).Select(_ => r.Next(Stride)).ToArray();
        var start = BackendHarness.Random(6 * ConvTile.NR32, kc + 2);
        var wide = (float[])start.Clone();
        var (a, b) = (new float[6 * ConvTile.NR], new float[6 * ConvTile.NR]);
        for (var row = 0; row < 6; row++)
        {
            Array.Copy(start, row * ConvTile.NR32, a, row * ConvTile.NR, ConvTile.NR);
            Array.Copy(start, (row * ConvTile.NR32) + ConvTile.NR, b, row * ConvTile.NR, ConvTile.NR);
        }

        fixed (float* wp = w, lp = low, hp = high, xp = x, wideP = wide, ap = a, bp = b)
        fixed (int* o = offsets)
        {
            var rows = new nint[6];
            for (var i = 0; i < 6; i++)
            {
                rows[i] = (nint)(xp + (i * Stride));
            }

            float* Row(int i) => (float*)rows[i];
            ConvTile.Tile512x32<SixRows>(kc, wp, o, Row(0), Row(1), Row(2), Row(3), Row(4), Row(5), wideP, accumulate);
            ConvTile.Tile256<SixRows>(kc, lp, o, Row(0), Row(1), Row(2), Row(3), Row(4), Row(5), ap, accumulate);
            ConvTile.Tile256<SixRows>(kc, hp, o, Row(0), Row(1), Row(2), Row(3), Row(4), Row(5), bp, accumulate);
        }

        for (var i = 0; i < wide.Length; i++)
        {
            var (row, channel) = (i / ConvTile.NR32, i % ConvTile.NR32);
            var narrow = channel < ConvTile.NR ? a[(row * ConvTile.NR) + channel] : b[(row * ConvTile.NR) + channel - ConvTile.NR];
            Assert.True(BitConverter.SingleToInt32Bits(wide[i]) == BitConverter.SingleToInt32Bits(narrow), $"row {row}, channel {channel}: {wide[i]} vs {narrow}");
        }
    }

    [Fact]
    public void ADirectConvolutionGivesTheSameBitsWithEitherVectorWidth()
    {
        // 40 outputs: a 32-channel panel and a partial one on 512-bit vectors, 16-channel panels on 256-bit ones;
        // stride 2 and a 5x5 window, so the direct GEMM runs (not Winograd).
        var p = new ConvLive.Engine.Ops.ConvParams(1, 24, 23, 19, 40, 1, new ConvLive.Engine.Ops.Window2D(5, 5, 2, 2, 2, 2, 2, 2, 1, 1), 12, 10);
        var x = BackendHarness.Random(p.C * p.H * p.W, 1);
        var w = BackendHarness.Random(p.M * p.C * 25, 2);
        var b = BackendHarness.Random(p.M, 3);
        float[] Run(int bits)
        {
            using var devices = new DeviceFixture();
            using var h = BackendHarness.Open(devices, "cpu", new ConvLive.Engine.Backends.BackendOptions { VectorBits = bits });
            var y = h.Empty(p.OutputShape);
            h.Backend.Conv(y, h.Upload(x, p.N, p.C, p.H, p.W), h.Upload(w, p.M, p.C, 5, 5), h.Upload(b, p.M), p);
            return h.Download(y);
        }

        var (widest, narrow) = (Run(0), Run(256));
        Assert.Equal(narrow.Select(BitConverter.SingleToInt32Bits), widest.Select(BitConverter.SingleToInt32Bits));
        Numerics.AssertClose(ConvLive.Engine.Reference.ReferenceOps.Conv(x, w, b, p), widest, 1e-4, 1e-4, "direct, widest tiles");
    }
}
