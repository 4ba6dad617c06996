// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>MatMul's backward on the CPU: per batch dA += dY·Bᵀ and dB += Aᵀ·dY, added where a batch operand was
/// broadcast (Gemm's backward is itself Gemm calls, made by the layer).</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void MatMulBackward(DeviceTensor? da, DeviceTensor? db, DeviceTensor dy, DeviceTensor a, DeviceTensor b, MatMulParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        float[] dyd = Cast(dy).Data, ad = Cast(a).Data, bd = Cast(b).Data;
        if (da is not null)
        {
            var dad = Cast(da).Data;
            Array.Clear(dad, 0, da.Length);
            _workers.For(p.M, i =>
            {
                for (var batch = 0; batch < p.Batch; batch++)
                {
                    int aRow = p.AOffsets[batch] + (i * p.K), dyRow = (batch * p.M * p.N) + (i * p.N), bBase = p.BOffsets[batch];
                    for (var k = 0; k < p.K; k++)
                    {
                        var sum = 0f;
                        for (var j = 0; j < p.N; j++)
                        {
                            sum += dyd[dyRow + j] * bd[bBase + (k * p.N) + j];
                        }

                        dad[aRow + k] += sum;
                    }
                }
            });
        }

        if (db is not null)
        {
            var dbd = Cast(db).Data;
            Array.Clear(dbd, 0, db.Length);
            _workers.For(p.K, k =>
            {
                for (var batch = 0; batch < p.Batch; batch++)
                {
                    int bRow = p.BOffsets[batch] + (k * p.N), aBase = p.AOffsets[batch], dyBase = batch * p.M * p.N;
                    for (var i = 0; i < p.M; i++)
                    {
                        var av = ad[aBase + (i * p.K) + k];
                        for (var j = 0; j < p.N; j++)
                        {
                            dbd[bRow + j] += av * dyd[dyBase + (i * p.N) + j];
                        }
                    }
                }
            });
        }
    }
}
