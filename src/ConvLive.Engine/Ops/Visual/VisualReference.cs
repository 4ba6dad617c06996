// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

internal static partial class ReferenceOps
{
    /// <summary>Crop, bilinear resample and normalise, from the definition in <see cref="PreprocessParams"/>.</summary>
    public static float[] Preprocess(byte[] bgr, PreprocessParams p)
    {
        var y = new float[3 * p.Size * p.Size];
        double step = p.CropSide / (double)p.Size;
        double[] mean = [p.Mean0, p.Mean1, p.Mean2], std = [p.Std0, p.Std1, p.Std2];
        for (var c = 0; c < 3; c++)
        for (var oy = 0; oy < p.Size; oy++)
        for (var ox = 0; ox < p.Size; ox++)
        {
            var sy = Math.Clamp(p.CropY + ((oy + 0.5) * step) - 0.5, 0, p.FrameHeight - 1);
            var sx = Math.Clamp(p.CropX + ((ox + 0.5) * step) - 0.5, 0, p.FrameWidth - 1);
            int y0 = (int)Math.Floor(sy), x0 = (int)Math.Floor(sx);
            int y1 = Math.Min(y0 + 1, p.FrameHeight - 1), x1 = Math.Min(x0 + 1, p.FrameWidth - 1);
            double fy = sy - y0, fx = sx - x0;
            var ch = p.Bgr ? c : 2 - c;
            double Pixel(int yy, int xx) => bgr[(((yy * p.FrameWidth) + xx) * 3) + ch];
            var v = (Pixel(y0, x0) * (1 - fx) * (1 - fy)) + (Pixel(y0, x1) * fx * (1 - fy)) + (Pixel(y1, x0) * (1 - fx) * fy) + (Pixel(y1, x1) * fx * fy);
            y[(c * p.Size * p.Size) + (oy * p.Size) + ox] = (float)(((v * p.Scale) - mean[c]) / std[c]);
        }

        return y;
    }

    /// <summary>Min-max normalised 8-bit tiles, from the definition in <see cref="TileLayout"/>.</summary>
    public static byte[] PackTiles(float[] x, TileLayout layout, int atlasLength)
    {
        var atlas = new byte[atlasLength];
        var plane = x.Length / layout.Channels;
        for (var c = 0; c < layout.Channels; c++)
        {
            var values = x.Skip(c * plane).Take(plane).ToArray();
            double min = values.Min(), max = values.Max();
            var (tx, ty) = layout.TileOrigin(c);
            for (var i = 0; i < layout.TileW * layout.TileH; i++)
            {
                var v = i < plane && max > min ? Math.Round((values[i] - min) * 255.0 / (max - min)) : 0;
                atlas[layout.Offset + ((ty + (i / layout.TileW)) * layout.AtlasWidth) + tx + (i % layout.TileW)] = (byte)v;
            }
        }

        return atlas;
    }
}
