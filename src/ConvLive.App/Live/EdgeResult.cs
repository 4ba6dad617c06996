// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Capture;

namespace ConvLive.App.Live;

/// <summary>One inferred frame on its way to the display: the frame itself and its edge map.</summary>
/// <remarks>A triple-buffer slot: owns its arrays and reuses them; grows only when the frame size grows.</remarks>
internal sealed class EdgeResult
{
    public VideoFrame Frame { get; } = new();

    /// <summary>The coloured edge map, Frame.Width·Frame.Height·4 bytes RGBA (the array may be longer).</summary>
    public byte[] Rgba { get; private set; } = [];

    public string KernelName { get; set; } = string.Empty;

    /// <summary>Milliseconds the filter took on this frame (upload to download).</summary>
    public double InferenceMs { get; set; }

    public Span<byte> RgbaPixels => Rgba.AsSpan(0, Frame.Width * Frame.Height * 4);

    public void Prepare(VideoFrame source)
    {
        Frame.CopyFrom(source);
        var needed = source.Width * source.Height * 4;
        if (Rgba.Length < needed)
        {
            Rgba = new byte[needed];
        }
    }
}
