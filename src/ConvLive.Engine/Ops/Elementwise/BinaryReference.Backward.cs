// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

/// <summary>Add/Sub/Mul/Div backward with broadcasting, naive: each output's gradient added into the element of
/// each operand it was computed from.</summary>
internal static partial class ReferenceOps
{
    /// <summary>dA and dB of y = a ∘ b (NumPy broadcasting).</summary>
    public static (float[] Da, float[] Db) BinaryBackward(float[] dy, float[] a, int[] aDims, float[] b, int[] bDims, BinaryKind kind)
    {
        var rank = Math.Max(aDims.Length, bDims.Length);
        int[] pa = [.. Enumerable.Repeat(1, rank - aDims.Length), .. aDims], pb = [.. Enumerable.Repeat(1, rank - bDims.Length), .. bDims];
        var outDims = pa.Zip(pb, Math.Max).ToArray();
        double[] da = new double[a.Length], db = new double[b.Length];
        var index = new int[rank];
        for (var o = 0; o < dy.Length; o++)
        {
            var (ai, bi) = BroadcastOffsets(o, outDims, pa, pb, index);
            double g = dy[o], u = a[ai], v = b[bi];
            (double ga, double gb) = kind switch
            {
                BinaryKind.Add => (g, g),
                BinaryKind.Sub => (g, -g),
                BinaryKind.Mul => (g * v, g * u),
                _ => (g / v, -g * u / (v * v)),
            };
            da[ai] += ga;
            db[bi] += gb;
        }

        return (ToFloat(da), ToFloat(db));
    }

}
