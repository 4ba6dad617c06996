// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Vision;

/// <summary>
/// Runs one frame through grey conversion, a K×K cross-correlation (zero padding, stride 1, same size) and a
/// diverging colormap, on one device.
/// </summary>
/// <remarks>
/// Grey is BT.601 luma in [0, 1]. The colormap maps a response r to t = clamp(r·Gain / PositiveSum, −1, 1):
/// positive t to warm (1, 0.6, 0.2)·t, negative to cool (0.2, 0.6, 1)·|t|, zero to black; alpha is 255.
/// Buffers are sized per resolution and reused: calling with the same size allocates nothing.
/// Members are not thread safe: one thread drives a filter.
/// </remarks>
public interface IFrameFilter : IDisposable
{
    /// <summary>The device the filter runs on, as <see cref="Devices.ComputeDevice.Name"/> prints it.</summary>
    string DeviceName { get; }

    /// <summary>The kernel applied to the next frame. Setting it takes effect on the next <see cref="Run"/>.</summary>
    Kernel2D Kernel { get; set; }

    /// <summary>Colormap gain: a step of 1/Gain of full range saturates the colours. Default 2.</summary>
    float Gain { get; set; }

    /// <summary>Filters one frame.</summary>
    /// <param name="bgr">The frame, 8-bit B,G,R interleaved, rows packed: width·height·3 bytes. Not kept.</param>
    /// <param name="width">Frame width in pixels.</param>
    /// <param name="height">Frame height in pixels.</param>
    /// <param name="rgba">Receives the coloured map, width·height·4 bytes.</param>
    /// <param name="response">Receives the raw response (H,W) when not empty; width·height floats.</param>
    void Run(ReadOnlySpan<byte> bgr, int width, int height, Span<byte> rgba, Span<float> response);
}
