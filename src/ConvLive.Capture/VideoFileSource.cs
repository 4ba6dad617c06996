// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using OpenCvSharp;

namespace ConvLive.Capture;

/// <summary>A video file read through OpenCV's FFMPEG backend; loops at its end, or plays once.</summary>
/// <remarks>Owns its <see cref="VideoCapture"/> and frame <see cref="Mat"/>. Not thread safe.</remarks>
public sealed class VideoFileSource : IFrameSource
{
    private const int MaxConsecutiveBadFrames = 30;

    private readonly string _path;
    private readonly VideoCapture _capture;
    private readonly Mat _mat = new();
    private readonly MatFrames _frames = new();
    private readonly bool _loop;
    private long _sequence;
    private int _badFrames;

    /// <summary>Opens <paramref name="path"/>.</summary>
    /// <param name="path">A video file OpenCV can decode (h264, mpeg4, MJPG, …).</param>
    /// <param name="loop">Rewind at the end (live); false to play once and then report <see cref="Ended"/>.</param>
    /// <exception cref="FrameSourceException">The file is missing or no decoder opens it.</exception>
    public VideoFileSource(string path, bool loop = true)
    {
        _path = path;
        _loop = loop;
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
        FrameCount = Math.Max(0, _capture.FrameCount);
        Description = $"video:{path} ({_capture.FrameWidth}x{_capture.FrameHeight}, {FramesPerSecond:0.##} fps, {FrameCount} frames)";
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <summary>Frames the file says it has (container metadata: an estimate for some formats, 0 when unknown).</summary>
    public int FrameCount { get; }

    /// <inheritdoc/>
    public double FramesPerSecond { get; }

    /// <inheritdoc/>
    public bool PacesItself => false;

    /// <inheritdoc/>
    public string? LastProblem { get; private set; }

    /// <inheritdoc/>
    public bool Ended { get; private set; }

    /// <summary>The last frame's time in the video, seconds: its number over the frame rate (not the wall clock).</summary>
    public double LastFrameSeconds { get; private set; }

    /// <inheritdoc/>
    public bool TryRead(VideoFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (!_loop)
        {
            return ReadOnce(frame);
        }

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

    /// <summary>Played once: the next frame, false at the end (<see cref="Ended"/>) or for a frame that does not
    /// decode (<see cref="LastProblem"/>; the next call goes on after it).</summary>
    private bool ReadOnce(VideoFrame frame)
    {
        if (Ended)
        {
            return false;
        }

        var position = _capture.Get(VideoCaptureProperties.PosFrames);
        if (_capture.Read(_mat) && _frames.TryCopy(_mat, frame))
        {
            _badFrames = 0;
            frame.Sequence = _sequence++;
            frame.CapturedTicks = System.Diagnostics.Stopwatch.GetTimestamp();
            LastFrameSeconds = (_sequence - 1) / FramesPerSecond;
            return true;
        }

        // The end: the container's count reached, or a read that did not move on (FFmpeg's count is an estimate and
        // a cut file ends early), or too many damaged frames in a row.
        var count = _capture.FrameCount;
        var moved = _capture.Get(VideoCaptureProperties.PosFrames) > position;
        if (count <= 0 || position >= count - 1 || !moved || ++_badFrames > MaxConsecutiveBadFrames)
        {
            Ended = true;
            LastProblem = _badFrames > MaxConsecutiveBadFrames ? $"video:{_path}: {MaxConsecutiveBadFrames} damaged frames in a row at frame {position:0}; stopped there" : null;
            return false;
        }

        _sequence++; // the damaged frame keeps its number
        LastProblem = $"video:{_path}: frame {position:0} does not decode; skipped";
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
