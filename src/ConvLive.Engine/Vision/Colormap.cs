// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;

namespace ConvLive.Engine.Vision;

/// <summary>The diverging colormap of edge responses, written so ILGPU kernels and the CPU backend share it.</summary>
public static class Colormap
{
    /// <summary>Packs a response into RGBA (R in the low byte, as GL reads RGBA bytes on little-endian machines).</summary>
    /// <param name="response">The raw response.</param>
    /// <param name="scale">Gain divided by the kernel's positive sum.</param>
    /// <returns>The packed pixel, alpha 255.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Diverging(float response, float scale)
    {
        var t = response * scale;
        t = t > 1f ? 1f : t < -1f ? -1f : t;
        float r, g, b;
        if (t >= 0f)
        {
            r = t;
            g = 0.6f * t;
            b = 0.2f * t;
        }
        else
        {
            r = -0.2f * t;
            g = -0.6f * t;
            b = -t;
        }

        return ToByte(r) | (ToByte(g) << 8) | (ToByte(b) << 16) | 0xFF000000u;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ToByte(float c) => (uint)(int)((c * 255f) + 0.5f);
}
