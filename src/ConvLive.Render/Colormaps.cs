// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render;

/// <summary>Perceptual colormaps as 256-entry RGBA tables for <see cref="Display.CreateLut"/>.</summary>
public static class Colormaps
{
    /// <summary>The colormaps the app cycles through, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["viridis", "inferno", "grey"];

    /// <summary>The table for <paramref name="name"/>.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <returns>256·4 bytes.</returns>
    public static byte[] Table(string name)
    {
        var table = new byte[256 * 4];
        for (var i = 0; i < 256; i++)
        {
            var t = i / 255.0;
            var (r, g, b) = name switch
            {
                "viridis" => Polynomial(t, Viridis),
                "inferno" => Polynomial(t, Inferno),
                _ => (t, t, t),
            };
            table[4 * i] = ToByte(r);
            table[(4 * i) + 1] = ToByte(g);
            table[(4 * i) + 2] = ToByte(b);
            table[(4 * i) + 3] = 255;
        }

        return table;
    }

    // Sixth-order polynomial fits of matplotlib's viridis and inferno (public-domain fits by Matt Zucker).
    private static readonly double[][] Viridis =
    [
        [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
        [0.1050930431085774, 1.404613529898575, 1.384590162594685],
        [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
        [-4.634230498983486, -5.799100973351585, -19.33244095627987],
        [6.228269936347081, 14.17993336680509, 56.69055260068105],
        [4.776384997670288, -13.74514537774601, -65.35303263337234],
        [-5.435455855934631, 4.645852612178535, 26.3124352495832],
    ];

    private static readonly double[][] Inferno =
    [
        [0.0002189403691192265, 0.001651004631001012, -0.01948089843709184],
        [0.1065134194856116, 0.5639564367884091, 3.932712388889277],
        [11.60249308247187, -3.972853965665698, -15.9423941062914],
        [-41.70399613139459, 17.43639888205313, 44.35414519872813],
        [77.162935699427, -33.40235894210092, -81.80730925738993],
        [-71.31942824499214, 32.62606426397723, 73.20951985803202],
        [25.13112622477341, -12.24266895238567, -23.07032500287172],
    ];

    private static (double R, double G, double B) Polynomial(double t, double[][] c)
    {
        double r = 0, g = 0, b = 0;
        for (var k = c.Length - 1; k >= 0; k--)
        {
            r = (r * t) + c[k][0];
            g = (g * t) + c[k][1];
            b = (b * t) + c[k][2];
        }

        return (r, g, b);
    }

    private static byte ToByte(double v) => (byte)Math.Clamp((int)Math.Round(v * 255), 0, 255);
}
