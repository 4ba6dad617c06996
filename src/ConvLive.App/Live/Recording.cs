// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Capture;
using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>
/// <c>live --record</c> and key R: the composed window to a video at a fixed rate (the display's target, at most 60),
/// frames given by the wall clock so the video plays in real time whatever rate the display actually reaches: a
/// composed frame is read straight into the recorder's buffer, retained frames and time the display lagged repeat
/// the last; encoding runs on the recorder's thread, and a frame it cannot take in time is repeated rather than
/// waited for. A recording that
/// cannot start or fails is said in the window and the app goes on; stopping (R, Esc, closing) finalises the file
/// off the render thread, and the app waits for it before it exits. Render thread only.
/// </summary>
internal sealed class Recording(Display display, string? path, double framesPerSecond, TextWriter log, long maxBytes = long.MaxValue) : IDisposable
{
    private static readonly Colour Red = new(0.9f, 0.15f, 0.1f);
    private VideoRecorder? _recorder;
    private bool _startedOnce;
    private Task _closing = Task.CompletedTask;
    private string _target = string.Empty;

    /// <summary>A line for the window (recording where, or why not), or null.</summary>
    public string? Message { get; private set; }

    /// <summary>The current or last recording, for the stats; null when none was made.</summary>
    public (string Path, string Codec, long Frames, long Dropped, string? Error)? Last
    {
        get { lock (_gate) { return _last; } }
        private set { lock (_gate) { _last = value; } }
    }

    private readonly object _gate = new();
    private (string Path, string Codec, long Frames, long Dropped, string? Error)? _last;
    private long _startTicks;
    private long _queued; // video frames handed to the recorder since it started

    public bool IsRecording => _recorder is not null;

    /// <summary>Starts (into --record's file the first time, then a time-stamped one) or stops.</summary>
    public void Toggle()
    {
        if (_recorder is not null)
        {
            Stop();
            return;
        }

        var target = path is not null && !_startedOnce ? path : FileNames.Stamped(Path.Combine(Path.GetDirectoryName(path ?? string.Empty) ?? string.Empty, "convlive"), path is null ? ".mp4" : Path.GetExtension(path));
        _startedOnce = true;
        try
        {
            // Written under a temporary name (swept at the next start if the app dies) and renamed when finished,
            // so the real name only ever holds a whole video.
            _recorder = new VideoRecorder(Engine.IO.AtomicFile.TemporaryKeepingExtension(target), display.Width, display.Height, framesPerSecond, maxBytes);
            _target = target;
            (_startTicks, _queued) = (System.Diagnostics.Stopwatch.GetTimestamp(), 0);
            Message = string.Create(CultureInfo.InvariantCulture, $"recording {display.Width}x{display.Height} at {framesPerSecond:0.#} fps ({_recorder.Codec}) to {target}; R stops");
            log.WriteLine(Message);
        }
        catch (RecordingException e)
        {
            Message = e.Message;
            log.WriteLine($"recording: {e.Message}");
        }
    }

    /// <summary>After a frame was composed (before it is presented): read it into the recorder.</summary>
    public void AfterCompose()
    {
        if (_recorder is not { } r || !Healthy(r))
        {
            return;
        }

        var due = Due();
        if (due <= 0)
        {
            return; // the display runs faster than the video: this frame is not needed
        }

        if (r.TryBeginFrame(out var buffer))
        {
            display.ReadPixelsBottomUp(buffer);
            r.EndFrame();
            (_queued, due) = (_queued + 1, due - 1);
        }

        Repeat(r, due); // the time the display lagged (or a frame the encoder could not take) repeats the last

        // A dot in the top-right corner while recording (drawn after the read, so the video does not show it).
        display.FillRect(new RectF(display.Width - 18, 6, 10, 10), Red);
    }

    /// <summary>After the retained frame was presented again: the video repeats its last frame.</summary>
    public void AfterRetained()
    {
        if (_recorder is { } r && Healthy(r))
        {
            Repeat(r, Due());
        }
    }

    /// <summary>Stops and waits for the file to be finalised (at the end of the run; safe to call twice).</summary>
    public void Finish()
    {
        Stop();
        _closing.Wait(TimeSpan.FromMinutes(1));
    }

    /// <inheritdoc cref="Finish"/>
    public void Dispose() => Finish();

    /// <summary>Video frames owed by now: the wall clock since the start at the video's rate, less those given (at
    /// most 8 at once, so a long stall does not flood the encoder).</summary>
    private int Due() =>
        (int)Math.Min(8, Math.Floor(System.Diagnostics.Stopwatch.GetElapsedTime(_startTicks).TotalSeconds * framesPerSecond) + 1 - _queued);

    private void Repeat(VideoRecorder r, int count)
    {
        for (; count > 0; count--)
        {
            r.Repeat();
            _queued++;
        }
    }

    /// <summary>Stops on a write failure or a resize (the video's size is fixed).</summary>
    private bool Healthy(VideoRecorder r)
    {
        var why = r.Error?.Replace(r.Path, _target, StringComparison.Ordinal) ?? ((display.Width, display.Height) != (r.Width, r.Height) ? $"the window was resized; recording stopped ({_target} is kept). R starts a new one" : null);
        Last = (_target, r.Codec, r.Written, r.Dropped, r.Error);
        if (why is null)
        {
            return true;
        }

        Stop();
        Message = why;
        return false;
    }

    private void Stop()
    {
        if (_recorder is not { } r)
        {
            return;
        }

        _recorder = null;
        var previous = _closing;
        var target = _target;
        _closing = Task.Run(() =>
        {
            previous.Wait();
            string? error;
            try
            {
                r.Dispose(); // writes what is queued and closes the file
                error = r.Error?.Replace(r.Path, target, StringComparison.Ordinal);
                File.Move(r.Path, target, overwrite: true);
            }
            catch (Exception e)
            {
                error = $"the recording stays at {r.Path}: {e.Message}";
            }

            Last = (target, r.Codec, r.Written, r.Dropped, error);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"recording: {r.Written} frames ({r.Dropped} dropped) in {target}{(error is null ? string.Empty : $" ({error})")}"));
        });
        Message = $"recording saved to {target}";
    }
}
