// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Vision;

/// <summary>
/// The naive reference beside the fast filters: plain loops, double accumulation, no shared helpers, written
/// from the definitions so a test can hold both fast paths to it.
/// </summary>
internal static class FrameFilterReference
{
    /// <summary>BT.601 grey in [0, 1] of a BGR frame.</summary>
    public static float[] Grey(ReadOnlySpan<byte> bgr, int width, int height)
    {
        var grey = new float[width * height];
        for (var i = 0; i < grey.Length; i++)
        {
            grey[i] = (float)(((0.114 * bgr[3 * i]) + (0.587 * bgr[(3 * i) + 1]) + (0.299 * bgr[(3 * i) + 2])) / 255.0);
        }

        return grey;
    }

    /// <summary>Cross-correlation with zero padding K/2 and stride 1: out[y,x] = Σ w[i,j]·in[y+i−r, x+j−r].</summary>
    public static float[] Correlate(float[] grey, int width, int height, Kernel2D kernel)
    {
        var k = kernel.Size;
        var r = k / 2;
        var w = kernel.Weights;
        var output = new float[width * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                double sum = 0;
                for (var i = 0; i < k; i++)
                {
                    for (var j = 0; j < k; j++)
                    {
                        int yy = y + i - r, xx = x + j - r;
                        if (yy >= 0 && yy < height && xx >= 0 && xx < width)
                        {
                            sum += w[(i * k) + j] * (double)grey[(yy * width) + xx];
                        }
                    }
                }

                output[(y * width) + x] = (float)sum;
            }
        }

        return output;
    }

    /// <summary>The diverging colormap as the <see cref="IFrameFilter"/> remarks define it, as R,G,B,A bytes.</summary>
    public static byte[] Colour(float[] response, float gain, Kernel2D kernel)
    {
        var rgba = new byte[response.Length * 4];
        for (var i = 0; i < response.Length; i++)
        {
            var t = Math.Clamp(response[i] * gain / kernel.PositiveSum, -1.0, 1.0);
            var (r, g, b) = t >= 0 ? (t, 0.6 * t, 0.2 * t) : (-0.2 * t, -0.6 * t, -t);
            rgba[4 * i] = (byte)Math.Round(r * 255);
            rgba[(4 * i) + 1] = (byte)Math.Round(g * 255);
            rgba[(4 * i) + 2] = (byte)Math.Round(b * 255);
            rgba[(4 * i) + 3] = 255;
        }

        return rgba;
    }
}
