// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Gemm and MatMul through <see cref="Sgemm"/>; transposed operands are packed into scratch first.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public unsafe void Gemm(DeviceTensor y, DeviceTensor a, DeviceTensor b, DeviceTensor? c, GemmParams p)
    {
        float[] yd = Cast(y).Data, ad = Cast(a).Data, bd = Cast(b).Data;
        var beta = 0f;
        if (c is not null && p.Bias != BiasLayout.None && p.Beta != 0f)
        {
            var cd = Cast(c).Data;
            for (var i = 0; i < p.M; i++)
            {
                for (var j = 0; j < p.N; j++)
                {
                    yd[(i * p.N) + j] = p.Bias switch
                    {
                        BiasLayout.Scalar => cd[0],
                        BiasLayout.Row => cd[j],
                        BiasLayout.Column => cd[i],
                        _ => cd[(i * p.N) + j],
                    };
                }
            }

            beta = p.Beta;
        }

        if (p.TransB && !p.TransA)
        {
            // Fully connected layers store W as (N,K): y = x·Wᵀ. Never transpose W (151 MB for fc6) per call:
            // at batch 1 it is a matrix-vector product y = W·x, otherwise (x·Wᵀ)ᵀ = W·xᵀ with the small xᵀ packed.
            GemmTransposedB(yd, ad, Cast(b), p, beta);
            return;
        }

        var scratch = Scratch((p.TransA ? (long)p.M * p.K : 0) + (p.TransB ? (long)p.K * p.N : 0));
        if (p.TransA)
        {
            Transpose(scratch, 0, ad, p.K, p.M);
        }

        var bOffset = p.TransA ? p.M * p.K : 0;
        if (p.TransB)
        {
            Transpose(scratch, bOffset, bd, p.N, p.K);
        }

        fixed (float* ap = p.TransA ? scratch : ad, bp = p.TransB ? scratch : bd, yp = yd)
        {
            Sgemm.Multiply(p.M, p.N, p.K, p.Alpha, ap, p.K, bp + (p.TransB ? bOffset : 0), p.N, beta, yp, p.N, _workers, Options.Blas);
        }
    }

    /// <inheritdoc/>
    public unsafe void MatMul(DeviceTensor y, DeviceTensor a, DeviceTensor b, MatMulParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        float[] yd = Cast(y).Data, ad = Cast(a).Data, bd = Cast(b).Data;
        fixed (float* ap = ad, bp = bd, yp = yd)
        {
            for (var batch = 0; batch < p.Batch; batch++)
            {
                Sgemm.Multiply(p.M, p.N, p.K, 1f, ap + p.AOffsets[batch], p.K, bp + p.BOffsets[batch], p.N, 0f, yp + ((long)batch * p.M * p.N), p.N, _workers, Options.Blas);
            }
        }
    }

    private unsafe void GemmTransposedB(float[] y, float[] a, CpuTensor weights, GemmParams p, float beta)
    {
        var w = weights.Data;
        if (p.M == 1)
        {
            // Batch 1 is a matrix-vector product. Constant weights are read by columns from a copy in the precision
            // asked for, skipping those the input's zeros (a Relu's) multiply; weights that change (a head being
            // trained) stay fp32 and are read row by row from the tensor's own array.
            if (weights.IsConstant)
            {
                var precision = FullyConnectedWeights;
                if (weights.Derived is not ColumnGemv.Weights columns || columns.Precision != precision || columns.Rows != p.N || columns.Cols != p.K)
                {
                    weights.Derived = columns = ColumnGemv.Transpose(w, p.N, p.K, precision, _workers);
                }

                _columnGemv.Run(y, a, columns, p.Alpha, beta, _workers);
                return;
            }

            if (weights.Derived is not CompactGemv.Weights compact || compact.Rows != p.N || compact.Cols != p.K || !ReferenceEquals(compact.Float32, w))
            {
                weights.Derived = compact = CompactGemv.Of(w, p.N, p.K);
            }

            _gemv.Run(y, a, compact, p.Alpha, beta, _workers);
            return;
        }

        var scratch = Scratch(((long)p.K * p.M) + ((long)p.N * p.M));
        Transpose(scratch, 0, a, p.M, p.K);
        var product = p.K * p.M;
        fixed (float* wp = w, sp = scratch)
        {
            Sgemm.Multiply(p.N, p.M, p.K, 1f, wp, p.K, sp, p.M, 0f, sp + product, p.M, _workers, Options.Blas);
        }

        for (var i = 0; i < p.M; i++)
        {
            for (var j = 0; j < p.N; j++)
            {
                ref var yij = ref y[(i * p.N) + j];
                yij = (p.Alpha * scratch[product + (j * p.M) + i]) + (beta == 0f ? 0f : beta * yij);
            }
        }
    }

    /// <summary>dst[offset + j·rows + i] = src[i·cols + j]: src (rows, cols) → (cols, rows).</summary>
    private static void Transpose(float[] dst, int offset, float[] src, int rows, int cols)
    {
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                dst[offset + (j * rows) + i] = src[(i * cols) + j];
            }
        }
    }
}
