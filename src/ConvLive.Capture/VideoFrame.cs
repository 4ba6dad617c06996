// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Capture;

/// <summary>
/// One captured frame: 8-bit B,G,R interleaved, rows packed (stride = 3·Width). A reusable slot: the pixel
/// array is kept and only reallocated when the size grows, so steady-state capture allocates nothing.
/// </summary>
/// <remarks>Owns <see cref="Bgr"/>. Not thread safe: hand it between threads through a triple buffer.</remarks>
public sealed class VideoFrame
{
    /// <summary>The pixels, at least Width·Height·3 bytes; only the first <see cref="ByteLength"/> are valid.</summary>
    public byte[] Bgr { get; private set; } = [];

    /// <summary>Width in pixels.</summary>
    public int Width { get; private set; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; private set; }

    /// <summary>Number of valid bytes in <see cref="Bgr"/>: Width·Height·3.</summary>
    public int ByteLength => Width * Height * 3;

    /// <summary>The valid pixels.</summary>
    public Span<byte> Pixels => Bgr.AsSpan(0, ByteLength);

    /// <summary>Counts frames from 0 since the source opened (a looping video keeps counting).</summary>
    public long Sequence { get; set; }

    /// <summary>When the frame was captured, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
    public long CapturedTicks { get; set; }

    /// <summary>Sets the size, growing the pixel array only when it is too small.</summary>
    /// <param name="width">Width in pixels, 1 to 16384.</param>
    /// <param name="height">Height in pixels, 1 to 16384.</param>
    public void Resize(int width, int height)
    {
        if (width is < 1 or > 16384 || height is < 1 or > 16384)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"frame size {width}x{height} is outside 1..16384");
        }

        if (Bgr.Length < width * height * 3)
        {
            Bgr = new byte[width * height * 3];
        }

        Width = width;
        Height = height;
    }

    /// <summary>Copies pixels, size, sequence and time stamp from <paramref name="other"/>.</summary>
    /// <param name="other">The frame to copy; unchanged.</param>
    public void CopyFrom(VideoFrame other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Resize(other.Width, other.Height);
        other.Pixels.CopyTo(Pixels);
        Sequence = other.Sequence;
        CapturedTicks = other.CapturedTicks;
    }
}
