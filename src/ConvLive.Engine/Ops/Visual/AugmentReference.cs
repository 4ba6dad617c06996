// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

internal static partial class ReferenceOps
{
    /// <summary>One augmented view, in double precision, from the definition in <see cref="AugmentView"/>.</summary>
    public static float[] Augment(byte[] bgr, PreprocessParams p, AugmentView v)
    {
        var s = p.Size;
        var y = new float[3 * s * s];
        double[] mean = [p.Mean0, p.Mean1, p.Mean2], std = [p.Std0, p.Std1, p.Std2];
        double Sample(double ox, double oy, int rgb)
        {
            var sx = Math.Clamp((v.M00 * (ox + 0.5)) + (v.M01 * (oy + 0.5)) + v.M02 - 0.5, 0, p.FrameWidth - 1);
            var sy = Math.Clamp((v.M10 * (ox + 0.5)) + (v.M11 * (oy + 0.5)) + v.M12 - 0.5, 0, p.FrameHeight - 1);
            int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
            int x1 = Math.Min(x0 + 1, p.FrameWidth - 1), y1 = Math.Min(y0 + 1, p.FrameHeight - 1);
            double fx = sx - x0, fy = sy - y0;
            var ch = 2 - rgb; // the frame is BGR
            double Pixel(int yy, int xx) => bgr[(((yy * p.FrameWidth) + xx) * 3) + ch];
            return (Pixel(y0, x0) * (1 - fx) * (1 - fy)) + (Pixel(y0, x1) * fx * (1 - fy)) + (Pixel(y1, x0) * (1 - fx) * fy) + (Pixel(y1, x1) * fx * fy);
        }

        for (var oy = 0; oy < s; oy++)
        for (var ox = 0; ox < s; ox++)
        {
            var rgb = new double[3];
            double total = 0;
            for (var dy = -1; dy <= 1; dy++)
            for (var dx = -1; dx <= 1; dx++)
            {
                var w = v.Blur > 0 ? Math.Exp(-((dx * dx) + (dy * dy)) / (2.0 * v.Blur * v.Blur)) : dx == 0 && dy == 0 ? 1 : 0;
                if (w == 0)
                {
                    continue;
                }

                total += w;
                for (var c = 0; c < 3; c++)
                {
                    rgb[c] += w * Sample(ox + dx, oy + dy, c);
                }
            }

            var grey = ((0.299 * rgb[0]) + (0.587 * rgb[1]) + (0.114 * rgb[2])) / total;
            for (var c = 0; c < 3; c++)
            {
                var value = rgb[c] / total;
                value = grey + (v.Saturation * (value - grey));
                value = 128 + (v.Contrast * (value - 128));
                value = Math.Clamp(value * v.Brightness, 0, 255);
                var outC = p.Bgr ? 2 - c : c;
                y[(outC * s * s) + (oy * s) + ox] = (float)(((value * p.Scale) - mean[outC]) / std[outC]);
            }
        }

        return y;
    }
}
