// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// Vector steps of max pooling on rows. <see cref="Reduce"/>: the window's input rows to one row of maxima.
/// <see cref="PickStride2"/>, the horizontal step at stride 2 (ResNet's stem pool, AlexNet's three pools): from the
/// reduced row padded with −∞, each output is the maximum of KernelW neighbours starting at twice its column. Two
/// vectors of the row are split into their even and odd columns in registers (AVX-512's two-source permute, or AVX2's
/// shuffle and 64-bit permute), so a vector of outputs costs a few loads, splits and maxima instead of a sliding
/// pass over the whole row and a scalar pick of every second value. NaN propagates and −0 &lt; +0 throughout, as in
/// <see cref="MathF.Max(float, float)"/>.
/// </summary>
internal static unsafe class MaxPoolRows
{
    /// <summary>Floats past the row's last window that <see cref="PickStride2"/> may read (their lanes are dropped).</summary>
    public const int Slack = 32;

    private static readonly Vector512<int> Evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> Odds = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);

    /// <summary>The widest split this machine runs (16 with AVX-512, 8 with AVX2; 0: none, use the sliding pass).</summary>
    /// <param name="wide">Whether 512-bit vectors may be used (<see cref="BackendOptions.WideTiles"/>).</param>
    public static int Lanes(bool wide) =>
        wide && Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? 16 : Avx2.IsSupported ? 8 : 0;

    /// <summary>reduced[i] = max over rows r of x[(firstRow + r)·rowStride + i], for rows r in 0..rows.</summary>
    /// <param name="reduced">The reduced row (its length is the columns read).</param>
    /// <param name="x">The input plane.</param>
    /// <param name="firstRow">The window's first row inside the plane.</param>
    /// <param name="rows">How many rows (at least 1).</param>
    /// <param name="rowStride">The plane's width.</param>
    public static void Reduce(Span<float> reduced, ReadOnlySpan<float> x, int firstRow, int rows, int rowStride)
    {
        if (rows < 1 || (long)(firstRow + rows - 1) * rowStride + reduced.Length > x.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), $"rows {firstRow}..{firstRow + rows} of {rowStride} floats do not fit in {x.Length}");
        }

        fixed (float* first = x)
        fixed (float* y = reduced)
        {
            var top = first + ((long)firstRow * rowStride);
            var i = 0;
            for (; i + Vector256<float>.Count <= reduced.Length; i += Vector256<float>.Count)
            {
                var max = Vector256.Load(top + i);
                for (var r = 1; r < rows; r++)
                {
                    max = Vector256.Max(max, Vector256.Load(top + ((long)r * rowStride) + i));
                }

                max.Store(y + i);
            }

            for (; i < reduced.Length; i++)
            {
                var max = top[i];
                for (var r = 1; r < rows; r++)
                {
                    max = MathF.Max(max, top[((long)r * rowStride) + i]);
                }

                y[i] = max;
            }
        }
    }

    /// <summary>output[ox] = max(row[2·ox … 2·ox + kernelW − 1]) for every ox.</summary>
    /// <param name="output">The output row.</param>
    /// <param name="row">The reduced, padded row: at least 2·(output.Length − 1) + kernelW values, then
    /// <see cref="Slack"/> more that may hold anything.</param>
    /// <param name="kernelW">The window's width.</param>
    /// <param name="lanes">16 or 8 (<see cref="Lanes"/>).</param>
    public static void PickStride2(Span<float> output, ReadOnlySpan<float> row, int kernelW, int lanes)
    {
        if (row.Length < (2 * (output.Length - 1)) + kernelW + Slack)
        {
            throw new ArgumentException($"the row needs {Slack} floats of slack past its last window", nameof(row));
        }

        fixed (float* r = row)
        fixed (float* y = output)
        {
            if (lanes == 16)
            {
                Row512(y, output.Length, r, kernelW);
            }
            else
            {
                Row256(y, output.Length, r, kernelW);
            }
        }
    }

    private static void Row512(float* y, int count, float* r, int kernelW)
    {
        var tail = stackalloc float[16];
        for (var ox = 0; ox < count; ox += 16)
        {
            var source = r + (2 * ox);
            var max = Pick512(source, 0);
            for (var j = 1; j < kernelW; j++)
            {
                max = Vector512.Max(max, Pick512(source, j));
            }

            if (ox + 16 <= count)
            {
                Avx512F.Store(y + ox, max);
            }
            else
            {
                Avx512F.Store(tail, max);
                new ReadOnlySpan<float>(tail, count - ox).CopyTo(new Span<float>(y + ox, count - ox));
            }
        }
    }

    /// <summary>row[2·k + j] for k in 0..16: the even or odd columns of the 32 values from row + (j with its low bit clear).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pick512(float* source, int j)
    {
        var at = source + (j & ~1);
        return Avx512F.PermuteVar16x32x2(Avx512F.LoadVector512(at), (j & 1) == 0 ? Evens : Odds, Avx512F.LoadVector512(at + 16));
    }

    private static void Row256(float* y, int count, float* r, int kernelW)
    {
        var tail = stackalloc float[8];
        for (var ox = 0; ox < count; ox += 8)
        {
            var source = r + (2 * ox);
            var max = Pick256(source, 0);
            for (var j = 1; j < kernelW; j++)
            {
                max = Vector256.Max(max, Pick256(source, j));
            }

            if (ox + 8 <= count)
            {
                Avx.Store(y + ox, max);
            }
            else
            {
                Avx.Store(tail, max);
                new ReadOnlySpan<float>(tail, count - ox).CopyTo(new Span<float>(y + ox, count - ox));
            }
        }
    }

    /// <summary>row[2·k + j] for k in 0..8: shufps keeps columns 0, 2 (or 1, 3) of each 128-bit lane of both
    /// vectors, and the 64-bit permute puts the four pairs back in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Pick256(float* source, int j)
    {
        var at = source + (j & ~1);
        var a = Avx.LoadVector256(at);
        var b = Avx.LoadVector256(at + 8);
        var pairs = (j & 1) == 0 ? Avx.Shuffle(a, b, 0x88) : Avx.Shuffle(a, b, 0xDD);
        return Avx2.Permute4x64(pairs.AsDouble(), 0xD8).AsSingle();
    }
}
