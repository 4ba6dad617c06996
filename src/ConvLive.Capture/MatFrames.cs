// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.InteropServices;
using OpenCvSharp;

namespace ConvLive.Capture;

/// <summary>Copies OpenCV images into <see cref="VideoFrame"/> slots as packed 8-bit BGR.</summary>
/// <remarks>Owns one conversion <see cref="Mat"/>, reused across frames. Not thread safe.</remarks>
internal sealed class MatFrames : IDisposable
{
    private readonly Mat _converted = new();

    /// <summary>Copies <paramref name="image"/> into <paramref name="frame"/>, converting grey, BGRA and 16-bit to BGR8.</summary>
    /// <returns>False when the image is empty or of a type that cannot become BGR.</returns>
    public bool TryCopy(Mat image, VideoFrame frame)
    {
        if (image.Empty())
        {
            return false;
        }

        var source = image;
        if (image.Depth() != MatType.CV_8U)
        {
            image.ConvertTo(_converted, MatType.CV_8U, image.Depth() == MatType.CV_16U ? 1.0 / 257.0 : 255.0);
            source = _converted;
        }

        var channels = source.Channels();
        if (channels != 3)
        {
            var code = channels switch
            {
                1 => ColorConversionCodes.GRAY2BGR,
                4 => ColorConversionCodes.BGRA2BGR,
                _ => (ColorConversionCodes)(-1),
            };
            if ((int)code < 0)
            {
                return false;
            }

            Cv2.CvtColor(source, _converted, code);
            source = _converted;
        }

        int width = source.Width, height = source.Height;
        frame.Resize(width, height);
        var rowBytes = width * 3;
        if (source.IsContinuous())
        {
            Marshal.Copy(source.Data, frame.Bgr, 0, frame.ByteLength);
        }
        else
        {
            for (var y = 0; y < height; y++)
            {
                Marshal.Copy(source.Ptr(y), frame.Bgr, y * rowBytes, rowBytes);
            }
        }

        return true;
    }

    public void Dispose() => _converted.Dispose();
}
