// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Capture;
using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>
/// <c>live --record</c> and key R: the composed window to a video, one frame per presented frame at the display's
/// rate. A composed frame is read straight into the recorder's buffer; a retained one repeats the last; encoding runs
/// on the recorder's thread, and a frame it cannot take in time is dropped rather than waited for. A recording that
/// cannot start or fails is said in the window and the app goes on; stopping (R, Esc, closing) finalises the file
/// off the render thread, and the app waits for it before it exits. Render thread only.
/// </summary>
internal sealed class Recording(Display display, string? path, double framesPerSecond, TextWriter log) : IDisposable
{
    private static readonly Colour Red = new(0.9f, 0.15f, 0.1f);
    private VideoRecorder? _recorder;
    private bool _startedOnce;
    private Task _closing = Task.CompletedTask;
    private string _target = string.Empty;

    /// <summary>A line for the window (recording where, or why not), or null.</summary>
    public string? Message { get; private set; }

    /// <summary>The current or last recording, for the stats; null when none was made.</summary>
    public (string Path, string Codec, long Frames, long Dropped, string? Error)? Last { get; private set; }

    public bool IsRecording => _recorder is not null;

    /// <summary>Starts (into --record's file the first time, then a time-stamped one) or stops.</summary>
    public void Toggle()
    {
        if (_recorder is not null)
        {
            Stop();
            return;
        }

        var target = path is not null && !_startedOnce ? path : UnitStudy.Stamped(Path.Combine(Path.GetDirectoryName(path ?? string.Empty) ?? string.Empty, "convlive"), path is null ? ".mp4" : Path.GetExtension(path));
        _startedOnce = true;
        try
        {
            // Written under a temporary name (swept at the next start if the app dies) and renamed when finished,
            // so the real name only ever holds a whole video.
            _recorder = new VideoRecorder(Engine.IO.AtomicFile.TemporaryKeepingExtension(target), display.Width, display.Height, framesPerSecond);
            _target = target;
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

        if (r.TryBeginFrame(out var buffer))
        {
            display.ReadPixelsBottomUp(buffer);
            r.EndFrame();
        }

        // A dot in the top-right corner while recording (drawn after the read, so the video does not show it).
        display.FillRect(new RectF(display.Width - 18, 6, 10, 10), Red);
    }

    /// <summary>After the retained frame was presented again: the video repeats its last frame.</summary>
    public void AfterRetained()
    {
        if (_recorder is { } r && Healthy(r))
        {
            r.Repeat();
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

    /// <summary>Stops on a write failure or a resize (the video's size is fixed).</summary>
    private bool Healthy(VideoRecorder r)
    {
        var why = r.Error ?? ((display.Width, display.Height) != (r.Width, r.Height) ? $"the window was resized; recording stopped ({_target} is kept). R starts a new one" : null);
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
            r.Dispose(); // writes what is queued and closes the file
            string? error = r.Error;
            try
            {
                File.Move(r.Path, target, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error ??= $"the recording stays at {r.Path}: {e.Message}";
            }

            Last = (target, r.Codec, r.Written, r.Dropped, error);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"recording: {r.Written} frames ({r.Dropped} dropped) in {target}"));
        });
        Message = $"recording saved to {target}";
    }
}
