// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>LRN's and inference BatchNormalization's backward on the CPU.</summary>
public sealed partial class CpuBackend
{
    private float[] _lrnTerms = [];

    /// <inheritdoc/>
    public void LrnBackward(DeviceTensor dx, DeviceTensor dy, DeviceTensor x, DeviceTensor y, LrnParams p)
    {
        float[] dxd = Cast(dx).Data, dyd = Cast(dy).Data, xd = Cast(x).Data, yd = Cast(y).Data;
        ScratchArrays.Grow(ref _lrnTerms, xd.Length);
        var terms = _lrnTerms;
        int before = (p.Size - 1) / 2, after = p.Size / 2;
        var k = p.Alpha / p.Size;

        // Pass 1, per element j: t_j = dy_j·y_j/d_j, and dx_j = dy_j·d_j^−β (the diagonal term).
        _workers.For(p.N * p.C, row =>
        {
            int n = row / p.C, c = row - (n * p.C), at = row * p.Spatial;
            int lo = Math.Max(0, c - before), hi = Math.Min(p.C - 1, c + after);
            for (var s = 0; s < p.Spatial; s++)
            {
                var sum = 0f;
                for (var ch = lo; ch <= hi; ch++)
                {
                    var v = xd[(((n * p.C) + ch) * p.Spatial) + s];
                    sum += v * v;
                }

                var d = p.Bias + (k * sum);
                terms[at + s] = dyd[at + s] * yd[at + s] / d;
                dxd[at + s] = dyd[at + s] * MathF.Pow(d, -p.Beta);
            }
        });

        // Pass 2: dx_i −= 2αβ/size · x_i · Σ t_j over the channels j whose window holds i.
        var scale = 2f * p.Alpha * p.Beta / p.Size;
        _workers.For(p.N * p.C, row =>
        {
            int n = row / p.C, c = row - (n * p.C), at = row * p.Spatial;
            int lo = Math.Max(0, c - after), hi = Math.Min(p.C - 1, c + before);
            for (var s = 0; s < p.Spatial; s++)
            {
                var sum = 0f;
                for (var ch = lo; ch <= hi; ch++)
                {
                    sum += terms[(((n * p.C) + ch) * p.Spatial) + s];
                }

                dxd[at + s] -= scale * xd[at + s] * sum;
            }
        });
    }

    /// <inheritdoc/>
    public void BatchNormBackward(DeviceTensor? dx, DeviceTensor? dScale, DeviceTensor? dBias, DeviceTensor dy, DeviceTensor x, DeviceTensor scale, DeviceTensor mean, DeviceTensor variance, float epsilon)
    {
        float[] dyd = Cast(dy).Data, xd = Cast(x).Data, sd = Cast(scale).Data, md = Cast(mean).Data, vd = Cast(variance).Data;
        int n = x.Shape[0], c = x.Shape[1], spatial = x.Length / Math.Max(1, n * c);
        var dxd = dx is null ? null : Cast(dx).Data;
        var dsd = dScale is null ? null : Cast(dScale).Data;
        var dbd = dBias is null ? null : Cast(dBias).Data;
        for (var ch = 0; ch < c; ch++)
        {
            var inv = 1f / MathF.Sqrt(vd[ch] + epsilon);
            double sumScale = 0, sumBias = 0;
            for (var i = 0; i < n; i++)
            {
                var at = ((i * c) + ch) * spatial;
                for (var s = at; s < at + spatial; s++)
                {
                    if (dxd is not null)
                    {
                        dxd[s] = dyd[s] * sd[ch] * inv;
                    }

                    sumScale += dyd[s] * (xd[s] - md[ch]) * inv;
                    sumBias += dyd[s];
                }
            }

            if (dsd is not null)
            {
                dsd[ch] = (float)sumScale;
            }

            if (dbd is not null)
            {
                dbd[ch] = (float)sumBias;
            }
        }
    }
}
