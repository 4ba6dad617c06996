// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>MatMul's backward on an ILGPU device: the register-blocked GEMM with transposing strides, one product per batch,
/// added (beta 1) where a broadcast operand's batch was already written.</summary>
public sealed partial class IlgpuBackend
{
    /// <inheritdoc/>
    public void MatMulBackward(DeviceTensor? da, DeviceTensor? db, DeviceTensor dy, DeviceTensor a, DeviceTensor b, MatMulParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var dyv = Cast(dy).View;
        if (da is not null)
        {
            var written = new HashSet<int>();
            for (var batch = 0; batch < p.Batch; batch++)
            {
                // dA (M,K) = dY (M,N) · Bᵀ: B(k,j) read as Bᵀ(j,k) through its strides.
                var beta = written.Add(p.AOffsets[batch]) ? 0f : 1f;
                LaunchGemm(dyv, Cast(b).View, Cast(da).View, new GemmArgs(p.M, p.K, p.N, p.N, 1, 1, p.N, 1f, beta, batch * p.M * p.N, p.BOffsets[batch], p.AOffsets[batch], p.K));
            }
        }

        if (db is not null)
        {
            var written = new HashSet<int>();
            for (var batch = 0; batch < p.Batch; batch++)
            {
                // dB (K,N) = Aᵀ (K,M) · dY (M,N).
                var beta = written.Add(p.BOffsets[batch]) ? 0f : 1f;
                LaunchGemm(Cast(a).View, dyv, Cast(db).View, new GemmArgs(p.K, p.N, p.M, 1, p.K, p.N, 1, 1f, beta, p.AOffsets[batch], batch * p.M * p.N, p.BOffsets[batch], p.N));
            }
        }
    }
}
