// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Inference BatchNormalization on the CPU: y = x·k + d per channel (k = γ/√(var + ε), d = β − k·mean), on the
/// workers in chunks of <see cref="ElementwiseJob.Chunk"/> floats where there are two or more (the unfused graphs the
/// live app runs have one after every convolution).</summary>
public sealed partial class CpuBackend
{
    private readonly BatchNormJob _batchNorm = new();

    /// <inheritdoc/>
    public void BatchNorm(DeviceTensor y, DeviceTensor x, DeviceTensor scale, DeviceTensor bias, DeviceTensor mean, DeviceTensor variance, float epsilon)
    {
        int n = x.Shape[0], c = x.Shape[1], spatial = x.Length / Math.Max(1, n * c);
        if (y.Length != x.Length || scale.Length < c || bias.Length < c || mean.Length < c || variance.Length < c)
        {
            throw new ArgumentException($"BatchNormalization of {x.Shape} into {y.Shape} needs {c} scales, biases, means and variances, got {scale.Length}, {bias.Length}, {mean.Length}, {variance.Length}");
        }

        _batchNorm.Set(Cast(y).Data, Cast(x).Data, Cast(scale).Data, Cast(bias).Data, Cast(mean).Data, Cast(variance).Data, epsilon, c, spatial, n * c * spatial);
        var chunks = _batchNorm.Length / ElementwiseJob.Chunk; // the last chunk takes the rest
        try
        {
            if (chunks < 2 || _workers.Size < 2)
            {
                _batchNorm.RunRange(0, _batchNorm.Length);
            }
            else
            {
                _workers.For(chunks, _batchNorm);
            }
        }
        finally
        {
            _batchNorm.Clear();
        }
    }

    /// <summary>One chunk of the flattened tensor, each plane's part with its channel's k and d (computed as the
    /// single-threaded loop did, so the bits are the same).</summary>
    private sealed class BatchNormJob : IWorkItem
    {
        private float[] _y = [], _x = [], _s = [], _b = [], _m = [], _v = [];
        private float _epsilon;
        private int _channels, _spatial;

        public int Length { get; private set; }

        public void Set(float[] y, float[] x, float[] s, float[] b, float[] m, float[] v, float epsilon, int channels, int spatial, int length) =>
            (_y, _x, _s, _b, _m, _v, _epsilon, _channels, _spatial, Length) = (y, x, s, b, m, v, epsilon, channels, spatial, length);

        public void Clear() => _y = _x = _s = _b = _m = _v = [];

        public void Run(int item)
        {
            var start = item * ElementwiseJob.Chunk;
            RunRange(start, item == (Length / ElementwiseJob.Chunk) - 1 ? Length : start + ElementwiseJob.Chunk);
        }

        /// <summary>y = x·k + d in one pass (a Multiply then an Add read and wrote each plane twice), rounded after the
        /// multiply as they were (the JIT does not contract the two into a fused multiply-add).</summary>
        private static void ScaleShift(ReadOnlySpan<float> x, float k, float d, Span<float> y)
        {
            if (!Vector256.IsHardwareAccelerated)
            {
                // 128-bit machines: TensorPrimitives' two vectorised passes beat one scalar one.
                TensorPrimitives.Multiply(x, k, y);
                TensorPrimitives.Add(y, d, y);
                return;
            }

            Vector256<float> vk = Vector256.Create(k), vd = Vector256.Create(d);
            ref var xs = ref MemoryMarshal.GetReference(x);
            ref var ys = ref MemoryMarshal.GetReference(y);
            var i = 0;
            for (; i + 8 <= x.Length; i += 8)
            {
                ((Vector256.LoadUnsafe(ref xs, (nuint)i) * vk) + vd).StoreUnsafe(ref ys, (nuint)i);
            }

            for (; i < x.Length; i++)
            {
                y[i] = (x[i] * k) + d;
            }
        }

        public void RunRange(int start, int end)
        {
            for (var pos = start; pos < end;)
            {
                var plane = pos / _spatial;
                var ch = plane % _channels;
                var stop = Math.Min(end, (plane + 1) * _spatial);
                var k = _s[ch] / MathF.Sqrt(_v[ch] + _epsilon);
                var d = _b[ch] - (k * _m[ch]);
                ScaleShift(_x.AsSpan(pos, stop - pos), k, d, _y.AsSpan(pos, stop - pos));
                pos = stop;
            }
        }
    }
}
