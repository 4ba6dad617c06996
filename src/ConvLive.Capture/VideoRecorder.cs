// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using OpenCvSharp;

namespace ConvLive.Capture;

/// <summary>
/// Writes the app's composed frames to a video through OpenCV's VideoWriter, on a thread of its own: the render thread
/// reads each composed frame straight into one of a few pooled buffers (<see cref="TryBeginFrame"/> /
/// <see cref="EndFrame"/>) and marks a retained frame with <see cref="Repeat"/>; the encoder converts, flips and
/// writes. When the encoder falls behind, frames are dropped (counted), never waited for. .mp4 is H.264 where the
/// codec exists, else MPEG-4 part 2; .avi is MJPG.
/// </summary>
/// <remarks>Owns its writer, buffers and thread; <see cref="Dispose"/> writes what is queued and closes the file.</remarks>
public sealed class VideoRecorder : IDisposable
{
    private const int Buffers = 3;
    private const int MaxQueued = 64;

    private readonly VideoWriter _writer;
    private readonly byte[][] _buffers;
    private readonly Queue<int> _free = new(Buffers);
    private readonly Queue<int> _queue = new(MaxQueued); // a buffer index, or −1 for "the last frame again"
    private readonly Thread _thread;
    private readonly Mat _bgr;
    private int _rented = -1;
    private bool _closing;
    private bool _disposed;

    /// <summary>Opens <paramref name="path"/> for <paramref name="width"/>×<paramref name="height"/> frames.</summary>
    /// <param name="path">An .mp4 or .avi file; its folder must exist.</param>
    /// <param name="width">Frame width.</param>
    /// <param name="height">Frame height.</param>
    /// <param name="framesPerSecond">The rate the video plays at (the display's).</param>
    /// <exception cref="RecordingException">The extension is not .mp4/.avi, or no codec opens the file there.</exception>
    /// <param name="maxBytes">The file size at which writing stops (<see cref="Error"/> says so; the file stays whole).</param>
    public VideoRecorder(string path, int width, int height, double framesPerSecond, long maxBytes = long.MaxValue)
    {
        _maxBytes = maxBytes;
        ArgumentNullException.ThrowIfNull(path);
        var extension = System.IO.Path.GetExtension(path).ToLowerInvariant();
        (string FourCc, string Name)[] codecs = extension switch
        {
            ".mp4" => [("avc1", "H.264"), ("mp4v", "MPEG-4 part 2")],
            ".avi" => [("MJPG", "Motion JPEG")],
            _ => throw new RecordingException($"--record {path}: give an .mp4 or .avi file"),
        };
        if (OpenCvLibrary.Missing($"recording {path}") is { } missing)
        {
            throw new RecordingException(missing);
        }

        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (!Directory.Exists(folder))
        {
            throw new RecordingException($"--record {path}: the folder {folder} does not exist");
        }

        foreach (var (fourcc, name) in codecs)
        {
            var writer = new VideoWriter(path, FourCC.FromString(fourcc), framesPerSecond, new Size(width, height));
            if (writer.IsOpened())
            {
                (_writer, Codec) = (writer, name);
                break;
            }

            writer.Dispose();
        }

        if (_writer is null)
        {
            throw new RecordingException($"--record {path}: OpenCV could not open it for writing with {string.Join(" or ", codecs.Select(c => c.Name))} (is {folder} writable?)");
        }

        (Path, Width, Height) = (path, width, height);
        _buffers = new byte[Buffers][];
        for (var i = 0; i < Buffers; i++)
        {
            _buffers[i] = new byte[width * height * 4];
            _free.Enqueue(i);
        }

        _bgr = new Mat(height, width, MatType.CV_8UC3);
        _thread = new Thread(Encode) { IsBackground = true, Name = "convlive recorder" };
        _thread.Start();
    }

    /// <summary>The file being written.</summary>
    public string Path { get; }

    /// <summary>Frame width.</summary>
    public int Width { get; }

    /// <summary>Frame height.</summary>
    public int Height { get; }

    /// <summary>The codec that opened: "H.264", "MPEG-4 part 2" or "Motion JPEG".</summary>
    public string Codec { get; } = string.Empty;

    /// <summary>Frames written so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Frames dropped because the encoder was behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Why writing stopped, or null.</summary>
    public string? Error { get => Volatile.Read(ref _error); private set => Volatile.Write(ref _error, value); }

    private readonly long _maxBytes;
    private long _written;
    private long _dropped;
    private string? _error;

    /// <summary>A free buffer to read the next composed frame into (RGBA, rows bottom to top as GL reads them), or
    /// false (counted as dropped) when the encoder has all of them. Render thread.</summary>
    public bool TryBeginFrame(out Span<byte> rgbaBottomUp)
    {
        lock (_queue)
        {
            if (_rented < 0 && Error is null && _free.Count > 0 && _queue.Count < MaxQueued)
            {
                _rented = _free.Dequeue();
                rgbaBottomUp = _buffers[_rented];
                return true;
            }
        }

        Interlocked.Increment(ref _dropped);
        rgbaBottomUp = default;
        return false;
    }

    /// <summary>Hands the frame read into the buffer <see cref="TryBeginFrame"/> gave to the encoder.</summary>
    public void EndFrame()
    {
        lock (_queue)
        {
            if (_rented >= 0)
            {
                _queue.Enqueue(_rented);
                _rented = -1;
                Monitor.Pulse(_queue);
            }
        }
    }

    /// <summary>The screen did not change this presented frame: the last frame is written again.</summary>
    public void Repeat()
    {
        lock (_queue)
        {
            if (_queue.Count >= MaxQueued || Error is not null)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }

            _queue.Enqueue(-1);
            Monitor.Pulse(_queue);
        }
    }

    /// <summary>Writes what is queued, closes the file and ends the thread.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        lock (_queue)
        {
            _closing = true;
            Monitor.Pulse(_queue);
        }

        _thread.Join();
        _writer.Release();
        _writer.Dispose();
        _bgr.Dispose();
    }

    private void Encode()
    {
        var haveFrame = false;
        while (true)
        {
            int item;
            lock (_queue)
            {
                while (_queue.Count == 0 && !_closing)
                {
                    Monitor.Wait(_queue);
                }

                if (_queue.Count == 0)
                {
                    return;
                }

                item = _queue.Dequeue();
            }

            try
            {
                if (item >= 0)
                {
                    using (var rgba = Mat.FromPixelData(Height, Width, MatType.CV_8UC4, _buffers[item]))
                    {
                        Cv2.CvtColor(rgba, _bgr, ColorConversionCodes.RGBA2BGR);
                    }

                    Cv2.Flip(_bgr, _bgr, FlipMode.X); // GL's rows run bottom to top
                    haveFrame = true;
                }

                if (haveFrame && Error is null)
                {
                    _writer.Write(_bgr);
                    if (Interlocked.Increment(ref _written) % 15 == 0 && _maxBytes < long.MaxValue && new FileInfo(Path).Length >= _maxBytes)
                    {
                        // Checked every 15 frames on what reached the file: the encoder's and muxer's buffered bytes
                        // and the MP4 index come after, so the file ends somewhat over the limit (4000 MB leaves 96).
                        Error = $"recording reached its size limit of {_maxBytes / (1024.0 * 1024.0):0.##} MB (--record-max-mb) and stopped; the {Written} frames written are kept in {Path}. R starts a new one";
                    }
                }
            }
            catch (Exception e) when (e is OpenCVException or OpenCvSharpException or IOException or UnauthorizedAccessException)
            {
                Error = $"recording to {Path} stopped: {e.Message}";
            }
            finally
            {
                if (item >= 0)
                {
                    lock (_queue)
                    {
                        _free.Enqueue(item);
                    }
                }
            }
        }
    }
}

/// <summary>A recording that cannot start or go on; the message names the file and the fix.</summary>
public sealed class RecordingException(string message) : Exception(message);
