// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Live;

/// <summary>
/// Lays out every tapped value's tiles in one 8-bit atlas: each value becomes a near-square block of its channel
/// tiles (1-pixel gaps), blocks go on shelves left to right. Pure arithmetic; the same layout drives the device
/// packing and the drawing.
/// </summary>
public static class AtlasPacker
{
    /// <summary>Atlas width in pixels (a safe GL texture size everywhere).</summary>
    public const int Width = 2048;

    /// <summary>Lays out the given values.</summary>
    /// <param name="values">Name, op and shape of each value: (1,C,H,W) images or (1,N) vectors.</param>
    /// <param name="height">The atlas height needed.</param>
    /// <returns>One tap per value, in order.</returns>
    public static IReadOnlyList<TapInfo> Layout(IReadOnlyList<(string Name, string Op, TensorShape Shape)> values, out int height)
    {
        ArgumentNullException.ThrowIfNull(values);
        var taps = new List<TapInfo>();
        int x = 0, y = 0, shelf = 0;
        foreach (var (name, op, shape) in values)
        {
            var vector = shape.Rank != 4;
            int channels, tileW, tileH, columns;
            if (vector)
            {
                channels = 1;
                tileW = (int)Math.Ceiling(Math.Sqrt(shape.Length));
                tileH = (shape.Length + tileW - 1) / tileW;
                columns = 1;
            }
            else
            {
                channels = shape[1];
                tileW = shape[3];
                tileH = shape[2];
                // The network input's channels sit in one row, so the GPU can fetch R, G and B at one fixed step.
                columns = op == "Input" ? channels : Math.Max(1, (int)Math.Ceiling(Math.Sqrt(channels * (tileH + 1.0) / (tileW + 1.0))));
                while (columns * (tileW + 1) > Width)
                {
                    columns--;
                }
            }

            var probe = new TileLayout(0, Width, 0, 0, channels, tileW, tileH, Math.Max(columns, 1), vector ? 0 : 1);
            if (probe.Width > Width)
            {
                throw new ArgumentException($"{name} ({shape}) is too wide for a {Width}-pixel atlas");
            }

            if (x + probe.Width > Width)
            {
                (x, y, shelf) = (0, y + shelf + 2, 0);
            }

            var layout = probe with { X = x, Y = y };
            taps.Add(new TapInfo(name, op, shape, layout, vector));
            x += layout.Width + 2;
            shelf = Math.Max(shelf, layout.Height);
        }

        height = y + shelf;
        return taps;
    }
}
