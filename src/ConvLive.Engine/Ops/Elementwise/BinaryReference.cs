// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

internal static partial class ReferenceOps
{
    public static float[] Binary(float[] a, int[] aDims, float[] b, int[] bDims, BinaryKind kind, out int[] outDims)
    {
        var rank = Math.Max(aDims.Length, bDims.Length);
        int[] pa = [.. Enumerable.Repeat(1, rank - aDims.Length), .. aDims], pb = [.. Enumerable.Repeat(1, rank - bDims.Length), .. bDims];
        outDims = pa.Zip(pb, Math.Max).ToArray();
        var total = outDims.Aggregate(1, (x, y) => x * y);
        var y = new float[total];
        var index = new int[rank];
        for (var o = 0; o < total; o++)
        {
            var (ai, bi) = BroadcastOffsets(o, outDims, pa, pb, index);
            double u = a[ai], v = b[bi];
            y[o] = (float)(kind switch { BinaryKind.Add => u + v, BinaryKind.Sub => u - v, BinaryKind.Mul => u * v, _ => u / v });
        }

        return y;
    }

    /// <summary>The operands' element offsets of output element <paramref name="o"/> (padded dims; 1 where broadcast).</summary>
    private static (int A, int B) BroadcastOffsets(int o, int[] outDims, int[] pa, int[] pb, int[] index)
    {
        var rest = o;
        for (var d = outDims.Length - 1; d >= 0; d--)
        {
            index[d] = rest % outDims[d];
            rest /= outDims[d];
        }

        int ai = 0, bi = 0;
        for (var d = 0; d < outDims.Length; d++)
        {
            ai = (ai * pa[d]) + (pa[d] == 1 ? 0 : index[d]);
            bi = (bi * pb[d]) + (pb[d] == 1 ? 0 : index[d]);
        }

        return (ai, bi);
    }
}
