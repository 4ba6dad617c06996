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
}
