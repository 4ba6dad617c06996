// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU.Algorithms;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

internal readonly record struct PackArgs(int Offset, int AtlasWidth, int X, int Y, int Channels, int TileW, int TileH, int Columns, int Gap, int Plane);

internal readonly record struct PreprocessArgs(int FrameWidth, int FrameHeight, int Size, float CropX, float CropY, float CropSide, int Bgr, float Scale, float Mean0, float Mean1, float Mean2, float Std0, float Std1, float Std2)
{
    public static PreprocessArgs From(Ops.PreprocessParams p) =>
        new(p.FrameWidth, p.FrameHeight, p.Size, p.CropX, p.CropY, p.CropSide, p.Bgr ? 1 : 0, p.Scale, p.Mean0, p.Mean1, p.Mean2, p.Std0, p.Std1, p.Std2);
}

/// <summary>Frame preprocessing and atlas packing kernels.</summary>
internal static partial class VisualKernels
{
    /// <summary>Frame bytes to the normalised network input, one output element per thread (bilinear).</summary>
    public static void Preprocess(Index1D i, ArrayView<byte> frame, ArrayView<float> y, PreprocessArgs p, int stride)
    {
        var step = p.CropSide / p.Size;
        for (var e = (int)i; e < y.IntLength; e += stride)
        {
            var c = e / (p.Size * p.Size);
            var rest = e - (c * p.Size * p.Size);
            var oy = rest / p.Size;
            var ox = rest - (oy * p.Size);
            var source = p.Bgr != 0 ? c : 2 - c;
            var mean = c == 0 ? p.Mean0 : c == 1 ? p.Mean1 : p.Mean2;
            var std = c == 0 ? p.Std0 : c == 1 ? p.Std1 : p.Std2;
            var sy = XMath.Clamp(p.CropY + ((oy + 0.5f) * step) - 0.5f, 0f, p.FrameHeight - 1);
            var sx = XMath.Clamp(p.CropX + ((ox + 0.5f) * step) - 0.5f, 0f, p.FrameWidth - 1);
            var y0 = (int)sy;
            var x0 = (int)sx;
            var y1 = XMath.Min(y0 + 1, p.FrameHeight - 1);
            var x1 = XMath.Min(x0 + 1, p.FrameWidth - 1);
            var fy = sy - y0;
            var fx = sx - x0;
            float a = frame[(((y0 * p.FrameWidth) + x0) * 3) + source];
            float b = frame[(((y0 * p.FrameWidth) + x1) * 3) + source];
            float d = frame[(((y1 * p.FrameWidth) + x0) * 3) + source];
            float f = frame[(((y1 * p.FrameWidth) + x1) * 3) + source];
            var v = ((a + ((b - a) * fx)) * (1 - fy)) + ((d + ((f - d) * fx)) * fy);
            y[e] = (v * (p.Scale / std)) - (mean / std);
        }
    }

    /// <summary>One thread per channel: find its min and max, then write its tile of normalised bytes.</summary>
    public static void PackTiles(Index1D c, ArrayView<float> x, ArrayView<byte> atlas, PackArgs p)
    {
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        var start = c * p.Plane;
        for (var i = 0; i < p.Plane; i++)
        {
            var v = x[start + i];
            min = XMath.Min(min, v);
            max = XMath.Max(max, v);
        }

        var scale = max > min ? 255f / (max - min) : 0f;
        var tx = p.X + ((c % p.Columns) * (p.TileW + p.Gap));
        var ty = p.Y + ((c / p.Columns) * (p.TileH + p.Gap));
        for (var i = 0; i < p.TileW * p.TileH; i++)
        {
            var row = i / p.TileW;
            var col = i - (row * p.TileW);
            atlas[p.Offset + ((ty + row) * p.AtlasWidth) + tx + col] = i < p.Plane ? (byte)(((x[start + i] - min) * scale) + 0.5f) : (byte)0;
        }
    }
}
