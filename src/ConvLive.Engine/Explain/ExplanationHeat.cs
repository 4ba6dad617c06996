// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Explain;

/// <summary>An explanation turned into a heat map to draw: for the gradient views the largest |value| over the colour
/// channels of each input pixel, for Grad-CAM the map itself; scaled so its maximum is 1.</summary>
public static class ExplanationHeat
{
    /// <summary>Writes the heat of <paramref name="map"/> into <paramref name="heat"/>.</summary>
    /// <param name="map">An explanation: (1,3,H,W) for the gradient views, (H′,W′) for Grad-CAM.</param>
    /// <param name="method">Which explanation it is.</param>
    /// <param name="height">H (gradient views) or H′.</param>
    /// <param name="width">W or W′.</param>
    /// <param name="heat">At least height·width values; receives [0, 1].</param>
    public static void From(ReadOnlySpan<float> map, ExplainMethod method, int height, int width, Span<float> heat)
    {
        var plane = height * width;
        var top = 0f;
        for (var i = 0; i < plane; i++)
        {
            var v = method == ExplainMethod.GradCam
                ? map[i]
                : MathF.Max(MathF.Abs(map[i]), MathF.Max(MathF.Abs(map[plane + i]), MathF.Abs(map[(2 * plane) + i])));
            heat[i] = v;
            top = MathF.Max(top, v);
        }

        var scale = top > 0 ? 1f / top : 0f;
        for (var i = 0; i < plane; i++)
        {
            heat[i] *= scale;
        }
    }
}
