// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Vision;

/// <summary>Argument checks shared by every <see cref="IFrameFilter"/>.</summary>
internal static class FrameFilterChecks
{
    public static void Validate(int bgrLength, int width, int height, int rgbaLength, int responseLength)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentException($"frame size {width}x{height} is empty");
        }

        var pixels = (long)width * height;
        if (bgrLength != pixels * 3)
        {
            throw new ArgumentException($"frame {width}x{height} needs {pixels * 3} BGR bytes, got {bgrLength}");
        }

        if (rgbaLength != pixels * 4)
        {
            throw new ArgumentException($"edge map {width}x{height} needs {pixels * 4} RGBA bytes, got {rgbaLength}");
        }

        if (responseLength != 0 && responseLength != pixels)
        {
            throw new ArgumentException($"response {width}x{height} needs {pixels} floats, got {responseLength}");
        }
    }
}
