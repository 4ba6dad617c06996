// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// The register tiles <see cref="WindowConv"/> and <see cref="WinogradConv"/> share: acc[r][0..NR) (+)= Σ_p
/// x_r[offsets[p]]·w[p][0..NR) over a block of output rows r (positions or Winograd tiles), with weights packed as
/// NR-channel panels [tap][NR]. Four shapes, the vector width chosen when the backend is created
/// (<see cref="BackendOptions.VectorBits"/>): 6 rows × two 256-bit vectors over 16-channel panels (12 accumulators,
/// AVX2); 8 rows × one 512-bit vector over 16-channel panels (8 accumulators; Winograd's GEMMs and narrow layers);
/// 6 rows × two 512-bit vectors over 32-channel panels (12 accumulators; direct layers with more than 16 outputs a
/// group); 6 rows × four 512-bit vectors over 64-channel panels (24 accumulators; direct layers whose groups are
/// whole panels of 64). All sum every output's taps in one order, so they give the same bits.
/// </summary>
internal static unsafe class ConvTile
{
    /// <summary>Output channels per panel.</summary>
    public const int NR = 16;

    /// <summary>
    /// How far ahead of the taps being multiplied the 16-channel tiles ask for their weights: 1024 floats, 64 taps,
    /// 4 KB. Winograd's GEMMs stream weights read once per forward (a 7×7×512 layer's F(4×4) weights are 38 MB) with
    /// a few multiply-adds per line, and the hardware prefetcher alone left them waiting on memory: with the caches
    /// flushed before each run (2-core EPYC, AVX-512), 14×14×256 0.80 → 0.66 ms, 28×28×128 0.61 → 0.56,
    /// 7×7×512 1.26–1.33 → 1.02. The direct GEMM's 32- and 64-channel tiles multiply each weight line by 6 rows and
    /// gain nothing from it (tried in session 12), so they do not prefetch; nor does the 16-channel tile where a
    /// direct layer's weights stay in L2 (<see cref="NoPrefetching"/>). In one process, alternating, caches emptied
    /// before each run (2-core EPYC, AVX2): ResNet-18's stem 1.79–2.11 ms without against 1.99–3.25 with; 7×7×512,
    /// whose 9.4 MB of direct weights stream, 1.35–1.39 with against 1.37–1.45 without (warm).
    /// </summary>
    private const int PrefetchAhead = 1024;

    /// <summary>Asks for the two weight lines (two taps of a 16-channel panel) <see cref="PrefetchAhead"/> floats on;
    /// past the panel's end it fetches lines the next item reads, or nothing (a prefetch never faults).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(float* w)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(w + PrefetchAhead);
            Sse.Prefetch0(w + PrefetchAhead + NR);
        }
    }

    /// <summary>Output channels per panel of the 512-bit 6×32 tile (<see cref="Block32"/>).</summary>
    public const int NR32 = 32;

    /// <summary>Output channels per panel of the 512-bit 6×64 tile (<see cref="Block64"/>).</summary>
    public const int NR64 = 64;

    /// <summary>
    /// One block of the 512-bit 6×32 tile: 6 rows × two 16-float vectors (12 accumulators, two weight loads and six
    /// broadcasts per 12 FMAs: more independent chains than the 8×16 tile's 8) over weights packed as 32-channel
    /// panels [tap][32]; 4 rows for a short last block. The same tap order per output as the other tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block32(int kc, float* w, int* offsets, float* x, int* rowBases, int remaining, float* acc, bool accumulate)
    {
        var bi = rowBases;
        if (remaining <= FourRows.Count)
        {
            Tile512x32<FourRows>(kc, w, offsets, x + bi[0], x + bi[1], x + bi[2], x + bi[3], null, null, acc, accumulate);
        }
        else
        {
            Tile512x32<SixRows>(kc, w, offsets, x + bi[0], x + bi[1], x + bi[2], x + bi[3], x + bi[4], x + bi[5], acc, accumulate);
        }
    }

    /// <summary>acc[r][0..32) (+)= Σ_p x_r[offsets[p]]·w[p][0..32) for 6 (or 4) rows, 512-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile512x32<TRows>(int kc, float* w, int* offsets, float* x0, float* x1, float* x2, float* x3, float* x4, float* x5, float* acc, bool accumulate)
        where TRows : struct, ITileRows
    {
        var six = TRows.Count == 6;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p += 2, w += 2 * NR32)
        {
            var o = offsets[p];
            var b0 = Vector512.Load(w);
            var b1 = Vector512.Load(w + 16);
            var a = Vector512.Create(x0[o]);
            c00 = Vector512.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(x1[o]);
            c10 = Vector512.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(x2[o]);
            c20 = Vector512.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(x3[o]);
            c30 = Vector512.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            if (six)
            {
                a = Vector512.Create(x4[o]);
                c40 = Vector512.FusedMultiplyAdd(a, b0, c40);
                c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
                a = Vector512.Create(x5[o]);
                c50 = Vector512.FusedMultiplyAdd(a, b0, c50);
                c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            }

            o = offsets[p + 1];
            b0 = Vector512.Load(w + 32);
            b1 = Vector512.Load(w + 48);
            a = Vector512.Create(x0[o]);
            c00 = Vector512.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(x1[o]);
            c10 = Vector512.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(x2[o]);
            c20 = Vector512.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(x3[o]);
            c30 = Vector512.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            if (six)
            {
                a = Vector512.Create(x4[o]);
                c40 = Vector512.FusedMultiplyAdd(a, b0, c40);
                c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
                a = Vector512.Create(x5[o]);
                c50 = Vector512.FusedMultiplyAdd(a, b0, c50);
                c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            }
        }

        Store512(acc, c00, accumulate);
        Store512(acc + 16, c01, accumulate);
        Store512(acc + NR32, c10, accumulate);
        Store512(acc + NR32 + 16, c11, accumulate);
        Store512(acc + (2 * NR32), c20, accumulate);
        Store512(acc + (2 * NR32) + 16, c21, accumulate);
        Store512(acc + (3 * NR32), c30, accumulate);
        Store512(acc + (3 * NR32) + 16, c31, accumulate);
        if (six)
        {
            Store512(acc + (4 * NR32), c40, accumulate);
            Store512(acc + (4 * NR32) + 16, c41, accumulate);
            Store512(acc + (5 * NR32), c50, accumulate);
            Store512(acc + (5 * NR32) + 16, c51, accumulate);
        }
    }

    /// <summary>
    /// One block of the 512-bit 6×64 tile: 6 rows × four 16-float vectors (24 accumulators; four weight loads and six
    /// broadcasts per 24 FMAs, against 2 and 6 per 12 in the 6×32 tile) over weights packed as 64-channel panels
    /// [tap][64]; 4 rows for a short last block. The same tap order per output as the other tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block64(int kc, float* w, int* offsets, float* x, int* rowBases, int remaining, float* acc, bool accumulate)
    {
        var bi = rowBases;
        if (remaining <= FourRows.Count)
        {
            Tile512x64<FourRows>(kc, w, offsets, x + bi[0], x + bi[1], x + bi[2], x + bi[3], null, null, acc, accumulate);
        }
        else
        {
            Tile512x64<SixRows>(kc, w, offsets, x + bi[0], x + bi[1], x + bi[2], x + bi[3], x + bi[4], x + bi[5], acc, accumulate);
        }
    }

    /// <summary>acc[r][0..64) (+)= Σ_p x_r[offsets[p]]·w[p][0..64) for 6 (or 4) rows, 512-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile512x64<TRows>(int kc, float* w, int* offsets, float* x0, float* x1, float* x2, float* x3, float* x4, float* x5, float* acc, bool accumulate)
        where TRows : struct, ITileRows
    {
        var six = TRows.Count == 6;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        for (var p = 0; p < kc; p += 2, w += 2 * NR64)
        {
            var o = offsets[p];
            var b0 = Vector512.Load(w);
            var b1 = Vector512.Load(w + 16);
            var b2 = Vector512.Load(w + 32);
            var b3 = Vector512.Load(w + 48);
            var a = Vector512.Create(x0[o]);
            c00 = Vector512.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(a, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(a, b3, c03);
            a = Vector512.Create(x1[o]);
            c10 = Vector512.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(a, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(a, b3, c13);
            a = Vector512.Create(x2[o]);
            c20 = Vector512.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(a, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(a, b3, c23);
            a = Vector512.Create(x3[o]);
            c30 = Vector512.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(a, b2, c32);
            c33 = Vector512.FusedMultiplyAdd(a, b3, c33);
            if (six)
            {
                a = Vector512.Create(x4[o]);
                c40 = Vector512.FusedMultiplyAdd(a, b0, c40);
                c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
                c42 = Vector512.FusedMultiplyAdd(a, b2, c42);
                c43 = Vector512.FusedMultiplyAdd(a, b3, c43);
                a = Vector512.Create(x5[o]);
                c50 = Vector512.FusedMultiplyAdd(a, b0, c50);
                c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
                c52 = Vector512.FusedMultiplyAdd(a, b2, c52);
                c53 = Vector512.FusedMultiplyAdd(a, b3, c53);
            }

            o = offsets[p + 1];
            b0 = Vector512.Load(w + 64);
            b1 = Vector512.Load(w + 80);
            b2 = Vector512.Load(w + 96);
            b3 = Vector512.Load(w + 112);
            a = Vector512.Create(x0[o]);
            c00 = Vector512.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(a, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(a, b3, c03);
            a = Vector512.Create(x1[o]);
            c10 = Vector512.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(a, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(a, b3, c13);
            a = Vector512.Create(x2[o]);
            c20 = Vector512.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(a, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(a, b3, c23);
            a = Vector512.Create(x3[o]);
            c30 = Vector512.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(a, b2, c32);
            c33 = Vector512.FusedMultiplyAdd(a, b3, c33);
            if (six)
            {
                a = Vector512.Create(x4[o]);
                c40 = Vector512.FusedMultiplyAdd(a, b0, c40);
                c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
                c42 = Vector512.FusedMultiplyAdd(a, b2, c42);
                c43 = Vector512.FusedMultiplyAdd(a, b3, c43);
                a = Vector512.Create(x5[o]);
                c50 = Vector512.FusedMultiplyAdd(a, b0, c50);
                c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
                c52 = Vector512.FusedMultiplyAdd(a, b2, c52);
                c53 = Vector512.FusedMultiplyAdd(a, b3, c53);
            }
        }

        Store512(acc, c00, accumulate);
        Store512(acc + 16, c01, accumulate);
        Store512(acc + 32, c02, accumulate);
        Store512(acc + 48, c03, accumulate);
        Store512(acc + NR64, c10, accumulate);
        Store512(acc + NR64 + 16, c11, accumulate);
        Store512(acc + NR64 + 32, c12, accumulate);
        Store512(acc + NR64 + 48, c13, accumulate);
        Store512(acc + (2 * NR64), c20, accumulate);
        Store512(acc + (2 * NR64) + 16, c21, accumulate);
        Store512(acc + (2 * NR64) + 32, c22, accumulate);
        Store512(acc + (2 * NR64) + 48, c23, accumulate);
        Store512(acc + (3 * NR64), c30, accumulate);
        Store512(acc + (3 * NR64) + 16, c31, accumulate);
        Store512(acc + (3 * NR64) + 32, c32, accumulate);
        Store512(acc + (3 * NR64) + 48, c33, accumulate);
        if (six)
        {
            Store512(acc + (4 * NR64), c40, accumulate);
            Store512(acc + (4 * NR64) + 16, c41, accumulate);
            Store512(acc + (4 * NR64) + 32, c42, accumulate);
            Store512(acc + (4 * NR64) + 48, c43, accumulate);
            Store512(acc + (5 * NR64), c50, accumulate);
            Store512(acc + (5 * NR64) + 16, c51, accumulate);
            Store512(acc + (5 * NR64) + 32, c52, accumulate);
            Store512(acc + (5 * NR64) + 48, c53, accumulate);
        }
    }

    /// <summary>Rows a block computes: positions are padded to a multiple of this.</summary>
    public static int Rows(bool wide) => wide ? EightRows.Count : SixRows.Count;

    /// <summary>Whether the 512-bit tile can run here.</summary>
    public static bool WideAvailable => Vector512.IsHardwareAccelerated;

    /// <summary>One block of <see cref="Rows"/> rows starting at <paramref name="rowBases"/> (each row's base offset
    /// into <paramref name="x"/>); <paramref name="remaining"/> rows are real, the rest repeat the last. Weights
    /// prefetched ahead or not by <typeparamref name="TPrefetch"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block<TPrefetch>(bool wide, int kc, float* w, int* offsets, float* x, int* rowBases, int remaining, float* acc, bool accumulate)
        where TPrefetch : struct, IWeightPrefetch
    {
        var bi = rowBases;
        if (wide)
        {
            if (remaining <= FourRows.Count)
            {
                Tile512<FourRows, TPrefetch>(kc, w, offsets, x + bi[0], x + bi[1], x + bi[2], x + bi[3], null, null, null, null, acc, accumulate);
            }
            else
            {
                Tile512<EightRows, TPrefetch>(kc, w, offsets, x + bi[0], x + bi[1], x + bi[2], x + bi[3], x + bi[4], x + bi[5], x + bi[6], x + bi[7], acc, accumulate);
            }
        }
        else if (remaining <= FourRows.Count)
        {
            Tile256<FourRows, TPrefetch>(kc, w, offsets, x + bi[0], x + bi[1], x + bi[2], x + bi[3], null, null, acc, accumulate);
        }
        else
        {
            Tile256<SixRows, TPrefetch>(kc, w, offsets, x + bi[0], x + bi[1], x + bi[2], x + bi[3], x + bi[4], x + bi[5], acc, accumulate);
        }
    }

    /// <summary>
    /// The 512-bit tile: 8 rows (or 4 for a short last block), one 16-float vector of weights a tap, one accumulator
    /// a row. Each output sums its taps in the same order as <see cref="Tile256{TRows, TPrefetch}"/>, so both tiles give the same
    /// bits: a model's outputs do not depend on the CPU's vector width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile512<TRows, TPrefetch>(int kc, float* w, int* offsets, float* x0, float* x1, float* x2, float* x3, float* x4, float* x5, float* x6, float* x7, float* acc, bool accumulate)
        where TRows : struct, ITileRows
        where TPrefetch : struct, IWeightPrefetch
    {
        var eight = TRows.Count == 8;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (var p = 0; p < kc; p += 2, w += 2 * NR)
        {
            if (TPrefetch.On)
            {
                Prefetch(w);
            }

            var o = offsets[p];
            var b = Vector512.Load(w);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(x0[o]), b, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(x1[o]), b, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(x2[o]), b, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(x3[o]), b, c3);
            if (eight)
            {
                c4 = Vector512.FusedMultiplyAdd(Vector512.Create(x4[o]), b, c4);
                c5 = Vector512.FusedMultiplyAdd(Vector512.Create(x5[o]), b, c5);
                c6 = Vector512.FusedMultiplyAdd(Vector512.Create(x6[o]), b, c6);
                c7 = Vector512.FusedMultiplyAdd(Vector512.Create(x7[o]), b, c7);
            }

            o = offsets[p + 1];
            b = Vector512.Load(w + NR);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(x0[o]), b, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(x1[o]), b, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(x2[o]), b, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(x3[o]), b, c3);
            if (eight)
            {
                c4 = Vector512.FusedMultiplyAdd(Vector512.Create(x4[o]), b, c4);
                c5 = Vector512.FusedMultiplyAdd(Vector512.Create(x5[o]), b, c5);
                c6 = Vector512.FusedMultiplyAdd(Vector512.Create(x6[o]), b, c6);
                c7 = Vector512.FusedMultiplyAdd(Vector512.Create(x7[o]), b, c7);
            }
        }

        Store512(acc, c0, accumulate);
        Store512(acc + NR, c1, accumulate);
        Store512(acc + (2 * NR), c2, accumulate);
        Store512(acc + (3 * NR), c3, accumulate);
        if (eight)
        {
            Store512(acc + (4 * NR), c4, accumulate);
            Store512(acc + (5 * NR), c5, accumulate);
            Store512(acc + (6 * NR), c6, accumulate);
            Store512(acc + (7 * NR), c7, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* row, Vector512<float> sum, bool accumulate)
    {
        if (accumulate)
        {
            sum += Vector512.Load(row);
        }

        sum.Store(row);
    }

    /// <summary>
    /// acc[r][0..16) (+)= Σ_p x_r[offsets[p]]·w[p][0..16) for the tile's rows r (6, or 4 for a short last block:
    /// rows 4 and 5 and their pointers are then ignored; the JIT drops their code for <see cref="FourRows"/>), two
    /// 256-bit accumulators a row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile256<TRows, TPrefetch>(int kc, float* w, int* offsets, float* x0, float* x1, float* x2, float* x3, float* x4, float* x5, float* acc, bool accumulate)
        where TRows : struct, ITileRows
        where TPrefetch : struct, IWeightPrefetch
    {
        var six = TRows.Count == 6;
        if (!Vector256.IsHardwareAccelerated)
        {
            ReadOnlySpan<nint> rows = [(nint)x0, (nint)x1, (nint)x2, (nint)x3, (nint)x4, (nint)x5];
            ScalarTile(kc, w, offsets, rows[..TRows.Count], acc, accumulate);
            return;
        }

        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // Two taps an iteration (kc is even): half the loop overhead, about 5% on the AlexNet convolutions.
        for (var p = 0; p < kc; p += 2, w += 2 * NR)
        {
            if (TPrefetch.On)
            {
                Prefetch(w);
            }

            var o = offsets[p];
            var b0 = Vector256.Load(w);
            var b1 = Vector256.Load(w + 8);
            var a = Vector256.Create(x0[o]);
            c00 = Vector256.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            a = Vector256.Create(x1[o]);
            c10 = Vector256.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            a = Vector256.Create(x2[o]);
            c20 = Vector256.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            a = Vector256.Create(x3[o]);
            c30 = Vector256.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            if (six)
            {
                a = Vector256.Create(x4[o]);
                c40 = Vector256.FusedMultiplyAdd(a, b0, c40);
                c41 = Vector256.FusedMultiplyAdd(a, b1, c41);
                a = Vector256.Create(x5[o]);
                c50 = Vector256.FusedMultiplyAdd(a, b0, c50);
                c51 = Vector256.FusedMultiplyAdd(a, b1, c51);
            }

            o = offsets[p + 1];
            b0 = Vector256.Load(w + 16);
            b1 = Vector256.Load(w + 24);
            a = Vector256.Create(x0[o]);
            c00 = Vector256.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            a = Vector256.Create(x1[o]);
            c10 = Vector256.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            a = Vector256.Create(x2[o]);
            c20 = Vector256.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            a = Vector256.Create(x3[o]);
            c30 = Vector256.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            if (six)
            {
                a = Vector256.Create(x4[o]);
                c40 = Vector256.FusedMultiplyAdd(a, b0, c40);
                c41 = Vector256.FusedMultiplyAdd(a, b1, c41);
                a = Vector256.Create(x5[o]);
                c50 = Vector256.FusedMultiplyAdd(a, b0, c50);
                c51 = Vector256.FusedMultiplyAdd(a, b1, c51);
            }

        }

        Store(acc, c00, c01, accumulate);
        Store(acc + NR, c10, c11, accumulate);
        Store(acc + (2 * NR), c20, c21, accumulate);
        Store(acc + (3 * NR), c30, c31, accumulate);
        if (six)
        {
            Store(acc + (4 * NR), c40, c41, accumulate);
            Store(acc + (5 * NR), c50, c51, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector256<float> lo, Vector256<float> hi, bool accumulate)
    {
        if (accumulate)
        {
            lo += Vector256.Load(row);
            hi += Vector256.Load(row + 8);
        }

        lo.Store(row);
        hi.Store(row + 8);
    }

    private static void ScalarTile(int kc, float* w, int* offsets, ReadOnlySpan<nint> xs, float* acc, bool accumulate)
    {
        for (var r = 0; r < xs.Length; r++)
        {
            var x = (float*)xs[r];
            for (var j = 0; j < NR; j++)
            {
                var sum = 0f;
                for (var p = 0; p < kc; p++)
                {
                    sum += x[offsets[p]] * w[(p * NR) + j];
                }

                acc[(r * NR) + j] = accumulate ? acc[(r * NR) + j] + sum : sum;
            }
        }
    }

}

/// <summary>How many rows (output positions) a <see cref="ConvTile"/> call computes.</summary>
internal interface ITileRows
{
    /// <summary>8, 6 or 4.</summary>
    static abstract int Count { get; }
}

/// <summary>The full 512-bit tile: 8 rows × 16 channels.</summary>
internal readonly struct EightRows : ITileRows
{
    public static int Count => 8;
}

/// <summary>The full 256-bit tile: 6 rows × 16 channels.</summary>
internal readonly struct SixRows : ITileRows
{
    public static int Count => 6;
}

/// <summary>Whether a tile asks for its weights <see cref="ConvTile"/>'s prefetch distance ahead; the JIT drops the
/// code that is off.</summary>
internal interface IWeightPrefetch
{
    /// <summary>True to prefetch.</summary>
    static abstract bool On { get; }
}

/// <summary>Weights streamed from memory (Winograd's, a direct layer's larger than L2): prefetched.</summary>
internal readonly struct Prefetching : IWeightPrefetch
{
    public static bool On => true;
}

/// <summary>Weights that stay in L1 or L2 while positions stream past them: not prefetched.</summary>
internal readonly struct NoPrefetching : IWeightPrefetch
{
    public static bool On => false;
}

/// <summary>A 4-row tile for a block's last 1–4 rows (less work than a padded full tile).</summary>
internal readonly struct FourRows : ITileRows
{
    public static int Count => 4;
}
