// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using OpenCvSharp;

namespace ConvLive.Capture;

/// <summary>
/// A camera through OpenCV (V4L2 on Linux, MSMF on Windows). When it stops delivering frames it is reopened in
/// the background of <see cref="TryRead"/>, at most once a second, while callers keep running.
/// </summary>
/// <remarks>Owns its <see cref="VideoCapture"/>. Not thread safe.</remarks>
public sealed class CameraSource : IFrameSource
{
    private static readonly TimeSpan ReopenInterval = TimeSpan.FromSeconds(1);

    private readonly int _index;
    private readonly Mat _mat = new();
    private readonly MatFrames _frames = new();
    private VideoCapture _capture;
    private long _lastReopenTicks;
    private long _sequence;

    /// <summary>Opens camera <paramref name="index"/> and asks it for 640×480.</summary>
    /// <param name="index">The camera number, 0 for the first.</param>
    /// <exception cref="FrameSourceException">No camera opened at that index.</exception>
    public CameraSource(int index)
    {
        _index = index;
        _capture = OpenCapture(index);
        if (!_capture.IsOpened())
        {
            _capture.Dispose();
            throw new FrameSourceException($"camera:{index}: no camera opened (none connected, or /dev/video{index} is not readable). Use --source video:FILE, images:DIR or synthetic.");
        }

        var fps = _capture.Fps;
        FramesPerSecond = fps is > 0 and < 1000 ? fps : 30;
        Description = $"camera:{index} ({_capture.FrameWidth}x{_capture.FrameHeight}, {FramesPerSecond:0.##} fps)";
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public double FramesPerSecond { get; }

    /// <inheritdoc/>
    public bool PacesItself => true;

    /// <inheritdoc/>
    public string? LastProblem { get; private set; }

    /// <inheritdoc/>
    public bool TryRead(VideoFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (_capture.IsOpened() && _capture.Read(_mat) && _frames.TryCopy(_mat, frame))
        {
            LastProblem = null;
            frame.Sequence = _sequence++;
            frame.CapturedTicks = Stopwatch.GetTimestamp();
            return true;
        }

        LastProblem = $"camera:{_index} delivers no frames (unplugged?); retrying every second";
        if (Stopwatch.GetElapsedTime(_lastReopenTicks) >= ReopenInterval)
        {
            _lastReopenTicks = Stopwatch.GetTimestamp();
            _capture.Dispose();
            _capture = OpenCapture(_index);
        }

        return false;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _capture.Dispose();
        _mat.Dispose();
        _frames.Dispose();
    }

    private static VideoCapture OpenCapture(int index)
    {
        // OpenCV logs a warning per backend it tries for a missing camera; our own message says it once.
        Cv2.SetLogLevel(LogLevel.SILENT);
        VideoCapture capture;
        try
        {
            capture = new VideoCapture(index);
        }
        finally
        {
            Cv2.SetLogLevel(LogLevel.ERROR);
        }

        if (capture.IsOpened())
        {
            capture.Set(VideoCaptureProperties.FrameWidth, 640);
            capture.Set(VideoCaptureProperties.FrameHeight, 480);
        }

        return capture;
    }
}
