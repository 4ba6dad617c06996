// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.InteropServices;
using OpenCvSharp;

namespace ConvLive.Capture;

/// <summary>Picture files read with OpenCV (PNG, JPEG, BMP, TIFF, WebP): the one place the app decodes images.
/// Writing goes the other way, through the app's one PNG path.</summary>
public static class ImageFile
{
    /// <summary>Reads <paramref name="path"/> into a new frame of packed 8-bit BGR.</summary>
    /// <exception cref="FrameSourceException">The file is missing or not a picture OpenCV can read.</exception>
    public static VideoFrame Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FrameSourceException($"{path}: no such file");
        }

        OpenCvLibrary.Require($"reading the picture {path}");

        using var image = Cv2.ImRead(path, ImreadModes.Unchanged);
        using var frames = new MatFrames();
        var frame = new VideoFrame();
        return frames.TryCopy(image, frame) ? frame : throw new FrameSourceException($"{path}: not a picture OpenCV can read (PNG, JPEG, BMP, TIFF, …)");
    }

    /// <summary>Decodes a picture to packed BGR bytes, or null when it is missing or not a picture.</summary>
    public static byte[]? DecodeBgr(string path, out int width, out int height)
    {
        OpenCvLibrary.Require($"reading the picture {path}");
        using var image = File.Exists(path) ? Cv2.ImRead(path, ImreadModes.Color) : new Mat();
        (width, height) = (image.Width, image.Height);
        return image.Empty() ? null : Packed(image, 3);
    }

    /// <summary>Decodes a picture to 8-bit grey, or null when it is missing or not a picture.</summary>
    public static byte[]? DecodeGrey(string path, out int width, out int height)
    {
        OpenCvLibrary.Require($"reading the picture {path}");
        using var image = File.Exists(path) ? Cv2.ImRead(path, ImreadModes.Grayscale) : new Mat();
        (width, height) = (image.Width, image.Height);
        return image.Empty() ? null : Packed(image, 1);
    }

    /// <summary>A BGR picture resampled to <paramref name="size"/>×<paramref name="size"/> by area averaging.</summary>
    public static byte[] ResizeBgr(byte[] bgr, int width, int height, int size)
    {
        ArgumentNullException.ThrowIfNull(bgr);
        using var image = Mat.FromPixelData(height, width, MatType.CV_8UC3, bgr);
        using var resized = new Mat();
        Cv2.Resize(image, resized, new Size(size, size), 0, 0, InterpolationFlags.Area);
        return Packed(resized, 3);
    }

    /// <summary>A BGR picture resampled to <paramref name="toWidth"/>×<paramref name="toHeight"/> by area averaging.</summary>
    public static byte[] ResizeBgr(byte[] bgr, int width, int height, int toWidth, int toHeight)
    {
        ArgumentNullException.ThrowIfNull(bgr);
        using var image = Mat.FromPixelData(height, width, MatType.CV_8UC3, bgr);
        using var resized = new Mat();
        Cv2.Resize(image, resized, new Size(toWidth, toHeight), 0, 0, InterpolationFlags.Area);
        return Packed(resized, 3);
    }

    private static byte[] Packed(Mat image, int channels)
    {
        int row = image.Width * channels, height = image.Height;
        var bytes = new byte[row * height];
        for (var y = 0; y < height; y++)
        {
            Marshal.Copy(image.Ptr(y), bytes, y * row, row);
        }

        return bytes;
    }
}
