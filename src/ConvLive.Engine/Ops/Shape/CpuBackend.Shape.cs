// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Strided block copies (Concat, Split) and Transpose on the CPU.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void CopyBlocks(DeviceTensor y, int yOffset, int yStride, DeviceTensor x, int xOffset, int xStride, int blocks, int run)
    {
        float[] yd = Cast(y).Data, xd = Cast(x).Data;
        for (var i = 0; i < blocks; i++)
        {
            Array.Copy(xd, xOffset + ((long)i * xStride), yd, yOffset + ((long)i * yStride), run);
        }
    }

    /// <inheritdoc/>
    public void Transpose(DeviceTensor y, DeviceTensor x, Ops.TransposeParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        float[] yd = Cast(y).Data, xd = Cast(x).Data;
        int[] d = p.OutDims, s = p.InStrides;
        var o = 0;
        for (var i0 = 0; i0 < d[0]; i0++)
        for (var i1 = 0; i1 < d[1]; i1++)
        for (var i2 = 0; i2 < d[2]; i2++)
        for (var i3 = 0; i3 < d[3]; i3++)
        for (var i4 = 0; i4 < d[4]; i4++)
        {
            var baseIndex = (i0 * s[0]) + (i1 * s[1]) + (i2 * s[2]) + (i3 * s[3]) + (i4 * s[4]);
            for (var i5 = 0; i5 < d[5]; i5++)
            {
                yd[o++] = xd[baseIndex + (i5 * s[5])];
            }
        }
    }
}
