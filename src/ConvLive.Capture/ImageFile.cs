// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using OpenCvSharp;

namespace ConvLive.Capture;

/// <summary>Reads one picture file (PNG, JPEG, BMP, …) as packed 8-bit BGR.</summary>
public static class ImageFile
{
    /// <summary>Reads <paramref name="path"/> into a new frame.</summary>
    /// <param name="path">The picture.</param>
    /// <returns>The frame.</returns>
    /// <exception cref="FrameSourceException">The file is missing or not a picture OpenCV can read.</exception>
    public static VideoFrame Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FrameSourceException($"{path}: no such file");
        }

        using var image = Cv2.ImRead(path, ImreadModes.Unchanged);
        using var frames = new MatFrames();
        var frame = new VideoFrame();
        return frames.TryCopy(image, frame) ? frame : throw new FrameSourceException($"{path}: not a picture OpenCV can read (PNG, JPEG, BMP, TIFF, …)");
    }
}
