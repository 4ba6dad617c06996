// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ILGPU.Runtime;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Gemm and MatMul on an ILGPU device: the register-blocked GEMM, and matrix-vector kernels for batch-1
/// products (M = 1: a warp per output where B's rows are contiguous, a thread per output where its columns are).</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs, StridedColumns> _gemm = null!;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs> _gemvRows = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs, int> _gemvColumns = null!;

    /// <inheritdoc/>
    public void Gemm(DeviceTensor y, DeviceTensor a, DeviceTensor b, DeviceTensor? c, GemmParams p)
    {
        var yv = Cast(y).View;
        var beta = 0f;
        if (c is not null && p.Bias != BiasLayout.None && p.Beta != 0f)
        {
            // Broadcast C into Y first (a strided copy per layout), then accumulate the product with beta.
            var cv = Cast(c);
            switch (p.Bias)
            {
                case BiasLayout.Scalar:
                    CopyBlocks(y, 0, 1, c, 0, 0, p.M * p.N, 1);
                    break;
                case BiasLayout.Row:
                    CopyBlocks(y, 0, p.N, c, 0, 0, p.M, p.N);
                    break;
                case BiasLayout.Column:
                    for (var j = 0; j < p.N; j++)
                    {
                        _copy(_stream, Launch(p.M), cv.View, yv, 0, 1, j, p.N, 1, p.M, Launch(p.M));
                    }

                    break;
                default:
                    CopyBlocks(y, 0, 0, c, 0, 0, 1, p.M * p.N);
                    break;
            }

            beta = p.Beta;
        }

        int a0 = p.TransA ? 1 : p.K, a1 = p.TransA ? p.M : 1, b0 = p.TransB ? 1 : p.N, b1 = p.TransB ? p.K : 1;
        LaunchGemm(Cast(a).View, Cast(b).View, yv, new GemmArgs(p.M, p.N, p.K, a0, a1, b0, b1, p.Alpha, beta, 0, 0, 0, p.N));
    }

    /// <inheritdoc/>
    public void MatMul(DeviceTensor y, DeviceTensor a, DeviceTensor b, MatMulParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        for (var batch = 0; batch < p.Batch; batch++)
        {
            LaunchGemm(Cast(a).View, Cast(b).View, Cast(y).View, new GemmArgs(p.M, p.N, p.K, p.K, 1, p.N, 1, 1f, 0f, p.AOffsets[batch], p.BOffsets[batch], batch * p.M * p.N, p.N));
        }
    }

    private void LaunchGemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmArgs g, ArrayView<float> bias = default)
    {
        if (g.M == 0 || g.N == 0)
        {
            return;
        }

        var biasView = bias.IsValid ? bias : c;
        if (g.M == 1 && g.B0 == 1 && g.K > 1)
        {
            // A warp per output, as many warps per group as the device allows (up to 256 threads).
            var warp = _accelerator.WarpSize;
            var threads = Math.Max(warp, Math.Min(256, _accelerator.MaxNumThreadsPerGroup) / warp * warp);
            var perGroup = threads / warp;
            _gemvRows(_stream, new KernelConfig((g.N + perGroup - 1) / perGroup, threads), a, b, c, biasView, g);
            return;
        }

        if (g.M == 1)
        {
            _gemvColumns(_stream, Launch(g.N), a, b, c, biasView, g, Launch(g.N));
            return;
        }

        LaunchBlockedGemm(_gemm, a, b, c, g, new StridedColumns(g.BOffset, g.B0, g.B1), 1, bias, default);
    }

    /// <summary>The register-blocked GEMM over <paramref name="batch"/> products (grid Z), <see cref="GemmArgs.Tile"/>
    /// threads a side (16 on GPUs, fewer where a group allows fewer threads), (4·Tile)² outputs a group.</summary>
    private void LaunchBlockedGemm<TColumns>(Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs, TColumns> kernel,
        ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmArgs g, TColumns columns, int batch, ArrayView<float> bias, ArrayView<float> residual)
        where TColumns : struct, IColumnSource
    {
        if (g.M == 0 || g.N == 0 || batch == 0)
        {
            return;
        }

        var t = _tile;
        var block = MatrixKernels.RegisterTile * t;
        var shared = SharedMemoryConfig.RequestDynamic<float>((t * (block + 1)) + (t * block));
        var biasView = bias.IsValid ? bias : c;
        var residualView = residual.IsValid ? residual : c;
        g = g with { Residual = residual.IsValid ? 1 : 0 };
        var most = Math.Max(1, _accelerator.MaxGridSize.Z); // 65535 on CUDA: a larger batch goes in chunks
        for (var z0 = 0; z0 < batch; z0 += most)
        {
            var grid = new Index3D((g.N + block - 1) / block, (g.M + block - 1) / block, Math.Min(most, batch - z0));
            kernel(_stream, new KernelConfig(grid, new Index3D(t, t, 1), shared), a, b, c, biasView, residualView, g with { Tile = t, ZBase = z0 }, columns);
        }
    }

    private void LoadMatrix()
    {
        _gemm = Counted(_accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs, StridedColumns>(MatrixKernels.BlockedGemm));
        _gemvRows = Counted(_accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>(MatrixKernels.GemvRows));
        _gemvColumns = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs, int>(MatrixKernels.GemvColumns));
    }
}
