// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Explain;

/// <summary>Pictures of explanations: a map laid as a heat overlay over the network input.</summary>
public static class HeatOverlay
{
    /// <summary>
    /// The network input (1,3,H,W), stretched to 0–255 by its own range, with <paramref name="map"/> over it: a
    /// gradient view (the input's shape) as max over channels of |g|, or a Grad-CAM map (mapH, mapW) resampled
    /// bilinearly; normalised by its maximum, coloured by <paramref name="lut"/> and blended half and half.
    /// </summary>
    /// <param name="input">(1,3,H,W) network input values.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="inputIsBgr">True when channel 0 is blue (the zoo AlexNet).</param>
    /// <param name="map">The explanation.</param>
    /// <param name="mapHeight">Its height (H for gradient views).</param>
    /// <param name="mapWidth">Its width.</param>
    /// <param name="lut">256 RGBA entries.</param>
    /// <returns>H·W·4 RGBA bytes.</returns>
    public static byte[] Compose(ReadOnlySpan<float> input, int height, int width, bool inputIsBgr, ReadOnlySpan<float> map, int mapHeight, int mapWidth, ReadOnlySpan<byte> lut)
    {
        var plane = height * width;
        if (input.Length < 3 * plane || lut.Length < 1024)
        {
            throw new ArgumentException($"need a (1,3,{height},{width}) input and a 256-entry RGBA table");
        }

        // The same heat the live view shows (ExplanationHeat), resampled to the input when it is a layer's map.
        var gradientView = map.Length == 3 * plane && mapHeight == height && mapWidth == width;
        var mapHeat = new float[mapHeight * mapWidth];
        ExplanationHeat.From(map, gradientView ? ExplainMethod.Gradient : ExplainMethod.GradCam, mapHeight, mapWidth, mapHeat);
        var heat = gradientView ? mapHeat : new float[plane];
        if (!gradientView)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    heat[(y * width) + x] = Bilinear(mapHeat, mapHeight, mapWidth, ((y + 0.5f) * mapHeight / height) - 0.5f, ((x + 0.5f) * mapWidth / width) - 0.5f);
                }
            }
        }

        var top = 0f;
        foreach (var h in heat)
        {
            top = Math.Max(top, h);
        }

        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (var v in input[..(3 * plane)])
        {
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }

        var rgba = new byte[plane * 4];
        var stretch = hi > lo ? 255f / (hi - lo) : 0f;
        for (var i = 0; i < plane; i++)
        {
            var lut0 = 4 * (int)Math.Clamp(top > 0 ? heat[i] / top * 255f : 0f, 0f, 255f);
            for (var c = 0; c < 3; c++)
            {
                var source = inputIsBgr ? 2 - c : c;
                var picture = (input[(source * plane) + i] - lo) * stretch;
                rgba[(4 * i) + c] = (byte)Math.Clamp((0.5f * picture) + (0.5f * lut[lut0 + c]), 0f, 255f);
            }

            rgba[(4 * i) + 3] = 255;
        }

        return rgba;
    }

    private static float Bilinear(ReadOnlySpan<float> map, int h, int w, float y, float x)
    {
        y = Math.Clamp(y, 0, h - 1);
        x = Math.Clamp(x, 0, w - 1);
        int y0 = (int)y, x0 = (int)x, y1 = Math.Min(y0 + 1, h - 1), x1 = Math.Min(x0 + 1, w - 1);
        float fy = y - y0, fx = x - x0;
        var top = (map[(y0 * w) + x0] * (1 - fx)) + (map[(y0 * w) + x1] * fx);
        var bottom = (map[(y1 * w) + x0] * (1 - fx)) + (map[(y1 * w) + x1] * fx);
        return (top * (1 - fy)) + (bottom * fy);
    }
}
