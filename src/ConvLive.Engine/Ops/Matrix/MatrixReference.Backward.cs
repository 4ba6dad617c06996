// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

/// <summary>Gemm's and MatMul's backward, naive: each product's terms scattered back in double.</summary>
internal static partial class ReferenceOps
{
    /// <summary>dA, dB and dC (C's own shape, by its layout) of y = alpha·op(a)·op(b) + beta·c.</summary>
    public static (float[] Da, float[] Db, float[] Dc) GemmBackward(float[] dy, float[] a, float[] b, int cLength, GemmParams p)
    {
        double[] da = new double[a.Length], db = new double[b.Length], dc = new double[cLength];
        for (var i = 0; i < p.M; i++)
        for (var j = 0; j < p.N; j++)
        {
            double g = dy[(i * p.N) + j];
            for (var k = 0; k < p.K; k++)
            {
                var ai = p.TransA ? (k * p.M) + i : (i * p.K) + k;
                var bi = p.TransB ? (j * p.K) + k : (k * p.N) + j;
                da[ai] += p.Alpha * g * b[bi];
                db[bi] += p.Alpha * g * a[ai];
            }

            if (cLength > 0)
            {
                dc[p.Bias switch { BiasLayout.Row => j, BiasLayout.Column => i, BiasLayout.Full => (i * p.N) + j, _ => 0 }] += p.Beta * g;
            }
        }

        return (ToFloat(da), ToFloat(db), ToFloat(dc));
    }

    /// <summary>dA and dB of the batched, broadcast y = a·b.</summary>
    public static (float[] Da, float[] Db) MatMulBackward(float[] dy, float[] a, float[] b, MatMulParams p)
    {
        double[] da = new double[a.Length], db = new double[b.Length];
        for (var batch = 0; batch < p.Batch; batch++)
        for (var i = 0; i < p.M; i++)
        for (var j = 0; j < p.N; j++)
        {
            double g = dy[(batch * p.M * p.N) + (i * p.N) + j];
            for (var k = 0; k < p.K; k++)
            {
                var ai = p.AOffsets[batch] + (i * p.K) + k;
                var bi = p.BOffsets[batch] + (k * p.N) + j;
                da[ai] += g * b[bi];
                db[bi] += g * a[ai];
            }
        }

        return (ToFloat(da), ToFloat(db));
    }
}
