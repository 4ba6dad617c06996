// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using OpenCvSharp;

namespace ConvLive.Capture;

/// <summary>A video file read through OpenCV's FFMPEG backend; loops at its end.</summary>
/// <remarks>Owns its <see cref="VideoCapture"/> and frame <see cref="Mat"/>. Not thread safe.</remarks>
public sealed class VideoFileSource : IFrameSource
{
    private const int MaxConsecutiveBadFrames = 30;

    private readonly string _path;
    private readonly VideoCapture _capture;
    private readonly Mat _mat = new();
    private readonly MatFrames _frames = new();
    private long _sequence;
    private int _badFrames;

    /// <summary>Opens <paramref name="path"/>.</summary>
    /// <param name="path">A video file OpenCV can decode (h264, mpeg4, MJPG, …).</param>
    /// <exception cref="FrameSourceException">The file is missing or no decoder opens it.</exception>
    public VideoFileSource(string path)
    {
        _path = path;
        if (!File.Exists(path))
        {
            throw new FrameSourceException($"video:{path}: no such file. Check the path, or use --source synthetic.");
        }

        _capture = new VideoCapture(path, VideoCaptureAPIs.FFMPEG);
        if (!_capture.IsOpened())
        {
            _capture.Dispose();
            throw new FrameSourceException($"video:{path}: OpenCV could not open it as a video (unknown container or codec). Convert it to h264 .mp4 or MJPG .avi.");
        }

        var fps = _capture.Fps;
        FramesPerSecond = fps is > 0 and < 1000 ? fps : 30;
        Description = $"video:{path} ({_capture.FrameWidth}x{_capture.FrameHeight}, {FramesPerSecond:0.##} fps, {_capture.FrameCount} frames)";
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public double FramesPerSecond { get; }

    /// <inheritdoc/>
    public bool PacesItself => false;

    /// <inheritdoc/>
    public string? LastProblem { get; private set; }

    /// <inheritdoc/>
    public bool TryRead(VideoFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (_capture.Read(_mat) && _frames.TryCopy(_mat, frame))
            {
                _badFrames = 0;
                frame.Sequence = _sequence++;
                frame.CapturedTicks = System.Diagnostics.Stopwatch.GetTimestamp();
                return true;
            }

            // End of file, or a frame that did not decode: rewind once and try again, so the clip loops.
            if (++_badFrames > MaxConsecutiveBadFrames)
            {
                break;
            }

            _capture.Set(VideoCaptureProperties.PosFrames, 0);
        }

        LastProblem = $"video:{_path}: no frame could be decoded after rewinding";
        return false;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _capture.Dispose();
        _mat.Dispose();
        _frames.Dispose();
    }
}
