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

        for (var y = 0; y < height; y++)
        {
            var row = bgr.Slice(y * width * 3, width * 3);
            var shade = 40 + (60 * y / height);
            for (var x = 0; x < width; x++)
            {
                byte b = (byte)(shade + 30), g = (byte)shade, r = (byte)(shade / 2);
                if (x < barsRight && y < stripesTop)
                {
                    // Vertical bars, 24 px wide, scrolling right.
                    var on = ((x - barShift) & 32) == 0 ? 230 : 20;
                    b = g = r = (byte)on;
                }
                else if (y >= stripesTop)
                {
                    // Horizontal stripes, 16 px tall, drifting down.
                    if (((y - stripeShift) & 16) == 0)
                    {
                        b = 30;
                        g = 140;
                        r = 240;
                    }
                }

                if (x >= boardX && x < boardX + boardSize && y >= cell && y < cell + boardSize)
                {
                    var on = (((x - boardX) / cell) + ((y - cell) / cell)) % 2 == 0;
                    b = g = r = on ? (byte)250 : (byte)5;
                }

                double dx = x - cx, dy = y - cy;
                if ((dx * dx) + (dy * dy) <= r2)
                {
                    b = 40;
                    g = 220;
                    r = 250;
                }

                row[x * 3] = b;
                row[(x * 3) + 1] = g;
                row[(x * 3) + 2] = r;
            }
        }
    }
}
