// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>LRN's and inference BatchNormalization's backward on an ILGPU device.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LrnArgs, int> _lrnBackward = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, int> _batchNormBackwardData = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormArgs, int> _batchNormBackwardParams = null!;

    /// <inheritdoc/>
    public void LrnBackward(DeviceTensor dx, DeviceTensor dy, DeviceTensor x, DeviceTensor y, LrnParams p) =>
        _lrnBackward(_stream, Launch(dx.Length), Cast(dy).View, Cast(x).View, Cast(y).View, Cast(dx).View, new LrnArgs(p.C, p.Spatial, p.Size, p.Alpha, p.Beta, p.Bias), Launch(dx.Length));

    /// <inheritdoc/>
    public void BatchNormBackward(DeviceTensor? dx, DeviceTensor? dScale, DeviceTensor? dBias, DeviceTensor dy, DeviceTensor x, DeviceTensor scale, DeviceTensor mean, DeviceTensor variance, float epsilon)
    {
        int n = x.Shape[0], c = x.Shape[1], spatial = x.Length / Math.Max(1, n * c);
        if (dx is not null)
        {
            _batchNormBackwardData(_stream, Launch(dx.Length), Cast(dy).View, Cast(scale).View, Cast(variance).View, Cast(dx).View, spatial, c, epsilon, Launch(dx.Length));
        }

        if (dScale is not null || dBias is not null)
        {
            var any = Cast(dScale ?? dBias!).View;
            var args = new BatchNormArgs(n, c, spatial, epsilon, dScale is null ? 0 : 1, dBias is null ? 0 : 1);
            _batchNormBackwardParams(_stream, Launch(c), Cast(dy).View, Cast(x).View, Cast(mean).View, Cast(variance).View, dScale is null ? any : Cast(dScale).View, dBias is null ? any : Cast(dBias).View, args, Launch(c));
        }
    }

    private void LoadNormaliseBackward()
    {
        _lrnBackward = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LrnArgs, int>(NormaliseKernels.LrnBackward));
        _batchNormBackwardData = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, int>(NormaliseKernels.BatchNormBackwardData));
        _batchNormBackwardParams = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormArgs, int>(NormaliseKernels.BatchNormBackwardParams));
    }
}

/// <summary>LRN's geometry for a kernel.</summary>
internal readonly record struct LrnArgs(int C, int Spatial, int Size, float Alpha, float Beta, float Bias);

/// <summary>Inference BatchNormalization's sizes and which parameter gradients to write.</summary>
internal readonly record struct BatchNormArgs(int N, int C, int Spatial, float Epsilon, int WantScale, int WantBias);

/// <summary>LRN's and BatchNormalization's backward kernels (grid-stride loops).</summary>
internal static partial class NormaliseKernels
{
    /// <summary>dx_i = dy_i·d_i^−β − (2αβ/size)·x_i·Σ dy_j·y_j/d_j over the channels j whose window holds i.</summary>
    public static void LrnBackward(Index1D index, ArrayView<float> dy, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dx, LrnArgs p, int stride)
    {
        var before = (p.Size - 1) / 2;
        var after = p.Size - 1 - before;
        var k = p.Alpha / p.Size;
        for (var e = (int)index; e < dx.IntLength; e += stride)
        {
            var s = e % p.Spatial;
            var c = (e / p.Spatial) % p.C;
            var n = e / (p.Spatial * p.C);
            var sum = 0f;
            var own = 0f;
            for (var j = XMath.Max(0, c - after); j <= XMath.Min(p.C - 1, c + before); j++)
            {
                var d = p.Bias + (k * WindowSquares(x, p, n, j, s, before, after));
                var at = (((n * p.C) + j) * p.Spatial) + s;
                sum += dy[at] * y[at] / d;
                if (j == c)
                {
                    own = d;
                }
            }

            dx[e] = (dy[e] * XMath.Pow(own, -p.Beta)) - (2f * p.Alpha * p.Beta / p.Size * x[e] * sum);
        }
    }

    /// <summary>dx = dy·scale/sqrt(var + eps).</summary>
    public static void BatchNormBackwardData(Index1D index, ArrayView<float> dy, ArrayView<float> scale, ArrayView<float> variance, ArrayView<float> dx, int spatial, int channels, float epsilon, int stride)
    {
        for (var e = (int)index; e < dx.IntLength; e += stride)
        {
            var c = (e / spatial) % channels;
            dx[e] = dy[e] * scale[c] / XMath.Sqrt(variance[c] + epsilon);
        }
    }

    /// <summary>One thread a channel: dScale = Σ dy·(x − mean)/sqrt(var + eps), dBias = Σ dy.</summary>
    public static void BatchNormBackwardParams(Index1D index, ArrayView<float> dy, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> variance, ArrayView<float> dScale, ArrayView<float> dBias, BatchNormArgs p, int stride)
    {
        for (var c = (int)index; c < p.C; c += stride)
        {
            var inv = 1f / XMath.Sqrt(variance[c] + p.Epsilon);
            var sumScale = 0f;
            var sumBias = 0f;
            for (var n = 0; n < p.N; n++)
            {
                var at = ((n * p.C) + c) * p.Spatial;
                for (var s = 0; s < p.Spatial; s++)
                {
                    sumScale += dy[at + s] * (x[at + s] - mean[c]) * inv;
                    sumBias += dy[at + s];
                }
            }

            if (p.WantScale != 0)
            {
                dScale[c] = sumScale;
            }

            if (p.WantBias != 0)
            {
                dBias[c] = sumBias;
            }
        }
    }

    private static float WindowSquares(ArrayView<float> x, LrnArgs p, int n, int c, int s, int before, int after)
    {
        var sum = 0f;
        for (var j = XMath.Max(0, c - before); j <= XMath.Min(p.C - 1, c + after); j++)
        {
            var v = x[(((n * p.C) + j) * p.Spatial) + s];
            sum += v * v;
        }

        return sum;
    }
}
