// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Numerics.Tensors;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>LRN and softmax.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Lrn(DeviceTensor y, DeviceTensor x, LrnParams p)
    {
        // Per image, a band of spatial positions per worker; per channel the window's sum of squares is a few
        // vector multiply-adds over the band, and the power is exp(−beta·log(…)) (two square roots for beta 0.75),
        // all through TensorPrimitives.
        var bands = Math.Min(p.Spatial, _workers.Size * 4);
        for (var n = 0; n < p.N; n++)
        {
            _lrn.Set(Cast(y).Data, Cast(x).Data, p, n * p.C * p.Spatial, bands);
            _workers.For(bands, _lrn);
        }
    }

    /// <summary>One band of spatial positions per work item; kept by the backend so a frame allocates nothing.</summary>
    private sealed class LrnJob : IWorkItem
    {
        private float[] _y = [];
        private float[] _x = [];
        private LrnParams _p;
        private int _image;
        private int _bands;

        public void Set(float[] y, float[] x, LrnParams p, int image, int bands) => (_y, _x, _p, _image, _bands) = (y, x, p, image, bands);

        public void Run(int band)
        {
            var p = _p;
            int before = (p.Size - 1) / 2, after = p.Size - 1 - before;
            int s0 = (int)((long)p.Spatial * band / _bands), s1 = (int)((long)p.Spatial * (band + 1) / _bands), len = s1 - s0;
            Span<float> sum = len <= 4096 ? stackalloc float[len] : new float[len];
            Span<float> root = p.Beta == 0.75f ? (len <= 4096 ? stackalloc float[len] : new float[len]) : default;
            for (var c = 0; c < p.C; c++)
            {
                sum.Clear();
                for (var k = Math.Max(0, c - before); k <= Math.Min(p.C - 1, c + after); k++)
                {
                    var xk = _x.AsSpan(_image + (k * p.Spatial) + s0, len);
                    TensorPrimitives.MultiplyAdd(xk, xk, sum, sum);
                }

                TensorPrimitives.Multiply(sum, p.Alpha / p.Size, sum);
                TensorPrimitives.Add(sum, p.Bias, sum);
                var offset = _image + (c * p.Spatial) + s0;
                if (p.Beta == 0.75f)
                {
                    // AlexNet's beta: s^0.75 = √s·√√s, two vector square roots instead of a log and an exp.
                    TensorPrimitives.Sqrt(sum, sum);
                    TensorPrimitives.Sqrt(sum, root);
                    TensorPrimitives.Multiply(sum, root, sum);
                    TensorPrimitives.Divide(_x.AsSpan(offset, len), sum, _y.AsSpan(offset, len));
                    continue;
                }

                TensorPrimitives.Log(sum, sum);
                TensorPrimitives.Multiply(sum, -p.Beta, sum);
                TensorPrimitives.Exp(sum, sum);
                TensorPrimitives.Multiply(_x.AsSpan(offset, len), sum, _y.AsSpan(offset, len));
            }
        }
    }

}
