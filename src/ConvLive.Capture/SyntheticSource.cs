// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;

namespace ConvLive.Capture;

/// <summary>
/// A moving scene generated in code, with strong edges in every direction: vertical bars scrolling sideways,
/// horizontal stripes drifting down, a disc on a Lissajous path and a checkerboard, on a soft gradient.
/// Frame n is a pure function of n, so tests can predict it.
/// </summary>
/// <remarks>Owns nothing but its settings. Not thread safe.</remarks>
public sealed class SyntheticSource : IFrameSource
{
    private readonly int _width;
    private readonly int _height;
    private long _sequence;

    /// <summary>Creates the scene.</summary>
    /// <param name="width">Frame width in pixels (default 640).</param>
    /// <param name="height">Frame height in pixels (default 480).</param>
    /// <param name="framesPerSecond">The rate the scene moves and plays at (default 30).</param>
    public SyntheticSource(int width = 640, int height = 480, double framesPerSecond = 30)
    {
        if (width < 16 || height < 16)
        {
            throw new FrameSourceException($"synthetic: size {width}x{height} is too small; use at least 16x16");
        }

        _width = width;
        _height = height;
        FramesPerSecond = framesPerSecond;
        Description = $"synthetic ({width}x{height}, {framesPerSecond:0.##} fps)";
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public double FramesPerSecond { get; }

    /// <inheritdoc/>
    public bool PacesItself => false;

    /// <inheritdoc/>
    public string? LastProblem => null;

    /// <inheritdoc/>
    public bool TryRead(VideoFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        frame.Resize(_width, _height);
        Draw(frame.Pixels, _width, _height, _sequence / FramesPerSecond);
        frame.Sequence = _sequence++;
        frame.CapturedTicks = Stopwatch.GetTimestamp();
        return true;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // Nothing to release.
    }

    /// <summary>Draws the scene at time <paramref name="seconds"/> into packed BGR.</summary>
    /// <param name="bgr">Width·height·3 bytes.</param>
    /// <param name="width">Frame width.</param>
    /// <param name="height">Frame height.</param>
    /// <param name="seconds">Scene time.</param>
    public static void Draw(Span<byte> bgr, int width, int height, double seconds)
    {
        var barsRight = width / 3;
        var stripesTop = height * 2 / 3;
        var barShift = (int)(seconds * 40);
        var stripeShift = (int)(seconds * 12);
        var cx = (width * 0.62) + (width * 0.18 * Math.Sin(seconds * 1.3));
        var cy = (height * 0.38) + (height * 0.16 * Math.Sin(seconds * 2.1));
        var radius = height / 8.0;
        var r2 = radius * radius;
        var boardX = width * 3 / 4;
        var boardSize = height / 4;
        var cell = Math.Max(boardSize / 6, 2);

        // Row by row, region by region: the background or the stripes, the bars, the board, then the disc over the
        // span its circle covers on this row. Per pixel with every test, the capture thread took 6% of a core at
        // 30 fps (2% now) on a machine whose two cores inference needs. SyntheticAndSpecTests holds the per-pixel
        // reference.
        for (var y = 0; y < height; y++)
        {
            var row = bgr.Slice(y * width * 3, width * 3);
            var shade = 40 + (60 * y / height);
            if (y >= stripesTop)
            {
                // Horizontal stripes, 16 px tall, drifting down.
                var on = ((y - stripeShift) & 16) == 0;
                Fill(row, 0, width, on ? (byte)30 : (byte)(shade + 30), on ? (byte)140 : (byte)shade, on ? (byte)240 : (byte)(shade / 2));
            }
            else
            {
                // Vertical bars, 24 px wide, scrolling right.
                for (var x = 0; x < barsRight; x++)
                {
                    var on = ((x - barShift) & 32) == 0 ? (byte)230 : (byte)20;
                    row[x * 3] = row[(x * 3) + 1] = row[(x * 3) + 2] = on;
                }

                Fill(row, barsRight, width, (byte)(shade + 30), (byte)shade, (byte)(shade / 2));
            }

            if (y >= cell && y < cell + boardSize)
            {
                for (var x = boardX; x < Math.Min(boardX + boardSize, width); x++)
                {
                    var on = (((x - boardX) / cell) + ((y - cell) / cell)) % 2 == 0 ? (byte)250 : (byte)5;
                    row[x * 3] = row[(x * 3) + 1] = row[(x * 3) + 2] = on;
                }
            }

            double dy = y - cy, rest = r2 - (dy * dy);
            if (rest >= 0)
            {
                // The exact test, per pixel, over the span the square root gives, widened by one each side.
                var half = Math.Sqrt(rest);
                int from = Math.Max(0, (int)Math.Floor(cx - half) - 1), to = Math.Min(width - 1, (int)Math.Ceiling(cx + half) + 1);
                for (var x = from; x <= to; x++)
                {
                    double dx = x - cx;
                    if ((dx * dx) + (dy * dy) <= r2)
                    {
                        (row[x * 3], row[(x * 3) + 1], row[(x * 3) + 2]) = ((byte)40, (byte)220, (byte)250);
                    }
                }
            }
        }
    }

    private static void Fill(Span<byte> row, int from, int to, byte b, byte g, byte r)
    {
        for (var x = from; x < to; x++)
        {
            row[x * 3] = b;
            row[(x * 3) + 1] = g;
            row[(x * 3) + 2] = r;
        }
    }
}
