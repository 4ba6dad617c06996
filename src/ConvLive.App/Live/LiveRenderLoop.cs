// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using ConvLive.App.Loop;
using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>The render thread (the caller's): input, texture uploads, the view, screenshots, status text. Composes a
/// frame only when something on it changed and presents the retained one otherwise.</summary>
/// <remarks>Owns nothing it is given; GL only through the display, on this thread.</remarks>
internal sealed class LiveRenderLoop(LiveState state, LiveOptions options, Display display, ILiveView view, TextWriter log) : IDisposable
{
    private const int WarmupFrames = LiveState.WarmupFrames;

    private const double HeadlessFps = 60;

    // Vsync normally paces a window; where it has no effect (Xvfb, some drivers) this cap keeps the render
    // thread from spinning and taking the cores inference needs.
    private const double WindowFpsCap = 144;

    private static readonly TimeSpan FirstResultTimeout = TimeSpan.FromSeconds(120);

    // The longest a display shows a retained frame before composing anew, whatever changed or not.
    private static readonly long RecomposeTicks = Stopwatch.Frequency / 10;
    private static readonly Colour Background = new(0.07f, 0.07f, 0.08f);

    private readonly StatusText _status = new();
    private ResourceSampler _resources = new(TimeSpan.FromSeconds(10));
    private double _displayFps;
    private bool _frozen;
    private bool _screenshotRequested;
    private Recording? _recording;
    private bool _recompose = true;
    private long _framesSinceFirstResult = -1;
    private long _warmFrame;
    private long _framesComposed;
    private long _nextTrain = Stopwatch.GetTimestamp();

    /// <summary>Runs until the display closes, the frame or time budget is spent, or no result comes in time.</summary>
    public RenderResult Run()
    {
        _resources = new ResourceSampler(TimeSpan.FromSeconds(options.SampleEvery), options.SampleCollects);
        _resources.Start();
        display.KeyPressed += OnKey;
        display.Clicked += OnClick;
        display.Resized += OnResized;
        try
        {
            var result = Loop();
            _recording?.Finish(); // finalised before the stats are read
            return result with { Recording = _recording?.Last };
        }
        finally
        {
            _recording?.Finish(); // Esc, closing the window, Ctrl+C, --frames: the file is finalised
            display.KeyPressed -= OnKey;
            display.Clicked -= OnClick;
            display.Resized -= OnResized;
        }
    }

    private RenderResult Loop()
    {
        var rate = options.MaxFps > 0 ? options.MaxFps : options.Headless ? HeadlessFps : WindowFpsCap;
        var pacer = new FramePacer(rate);
        _recording = new Recording(display, options.Record, Math.Min(rate, 60), log, options.RecordMaxBytes);
        if (options.Record is not null)
        {
            _recording.Toggle();
        }

        var uploadPending = false;
        var shownAny = false;
        long rendered = 0, firstTicks = 0, warmTicks = 0, lastTicks = 0, allocatedAtWarmup = -1, allocatedBeforeLast = -1;
        var started = Stopwatch.GetTimestamp();
        var lastStatus = started;
        var lastComposed = 0L;
        var renderedAtStatus = 0L;
        UpdateStatus();
        while (!display.IsCloseRequested)
        {
            display.PollEvents();
            // A newer result waits until the one going up is wholly up: taken at once, it restarted the uploads, and
            // results as fast as frames with more than a frame's upload budget each would never finish one (nothing
            // would be composed). Each result is up within a bounded number of frames.
            if (!_frozen && !uploadPending && state.Results.TryTakeNewest(out var result))
            {
                uploadPending = true;
                state.LatencyMs.Add(Stopwatch.GetElapsedTime(result.Frame.CapturedTicks).TotalMilliseconds);
                shownAny = true;
                _framesSinceFirstResult = Math.Max(0, _framesSinceFirstResult);
            }

            var current = state.Results.ReadSlot;
            var t0 = Stopwatch.GetTimestamp();
            if (uploadPending)
            {
                // Uploads come before the choice to compose: a result whose textures take two frames' upload budget
                // is composed once, when all of it is up (every panel from the same frame), not once a frame.
                display.BeginUploads();
                uploadPending = !view.TryUpload(current);
                state.UploadMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                _recompose |= !uploadPending;
            }

            if (options.TrainEvery > 0 && t0 >= _nextTrain && state.Pipeline is ModelPipeline { Training: { Busy: false } periodic })
            {
                // A soak's periodic training: one run at a time; one still going delays the next, never skips it.
                _nextTrain = t0 + (long)(options.TrainEvery * Stopwatch.Frequency);
                periodic.Post(Training.TrainingCommand.Train);
            }

            // With --train, a scripted run also waits for the head, so its stats report the trained result.
            var trainingDone = !options.TrainOnStart || state.Pipeline is not ModelPipeline { Training: { } t } || !t.Busy;
            trainingDone &= !options.ShowMap || state.Pipeline is not ModelPipeline { Training: { } m } || m.FeaturesReady; // and --map for every sample
            var timeUp = options.Duration > 0 && Stopwatch.GetElapsedTime(started).TotalSeconds >= options.Duration;
            var last = ((options.Frames > 0 && rendered + 1 >= options.Frames) || timeUp) && shownAny && !uploadPending && trainingDone;

            if (last)
            {
                allocatedBeforeLast = FrameAllocatedBytes();
            }

            // Compose only when something on screen changed (a result wholly uploaded, input, a resize) or a tenth
            // of a second passed (status text, training progress), and never while a result is half uploaded (the
            // rest goes up next frame); otherwise the retained frame stays. On a software rasteriser a composition
            // costs 11-13 ms of its threads at 1280x720, which inference needs.
            var compose = !uploadPending && (_recompose || last || _screenshotRequested || t0 - lastComposed >= RecomposeTicks);
            if (compose)
            {
                _recompose = false;
                lastComposed = t0;
                _framesComposed++;
                Compose(current, shownAny, last);
            }
            else
            {
                display.PresentRetained();
                _recording.AfterRetained();
            }

            FinishFrame(t0, ref rendered, ref firstTicks, ref warmTicks, ref lastTicks, ref allocatedAtWarmup);
            if (last)
            {
                break;
            }

            if (!shownAny && Stopwatch.GetElapsedTime(started) > FirstResultTimeout)
            {
                var why = state.Fatal ?? $"no frame came through {state.Device.Name} within {FirstResultTimeout.TotalSeconds:0} s (source: {state.Source.LastProblem ?? "no problem reported"})";
                return new RenderResult(rendered, firstTicks, _warmFrame, warmTicks, lastTicks, _framesComposed, double.NaN, _resources.Samples.ToArray(), why);
            }

            // New status lines wait for the next composition, at most a tenth of a second away: composing for them
            // alone made about one composition in ten with ResNet-18's results at 16 a second.
            UpdateStatusWhenDue(ref lastStatus, ref renderedAtStatus, rendered);

            pacer.Wait(state.Stop.Token);
        }

        return new RenderResult(rendered, firstTicks, _warmFrame, warmTicks, lastTicks, _framesComposed, AllocatedPerFrame(rendered, allocatedAtWarmup, allocatedBeforeLast), _resources.Samples.ToArray(), null);
    }

    /// <summary>Bytes allocated per frame after warm-up; the last frame's screenshot buffer is not per-frame work,
    /// so frames count up to the start of that frame.</summary>
    private double AllocatedPerFrame(long rendered, long allocatedAtWarmup, long allocatedBeforeLast)
    {
        var end = allocatedBeforeLast >= 0 ? allocatedBeforeLast : FrameAllocatedBytes();
        var counted = allocatedBeforeLast >= 0 ? rendered - 1 : rendered;
        return allocatedAtWarmup >= 0 && counted > WarmupFrames ? (double)(end - allocatedAtWarmup) / (counted - WarmupFrames) : double.NaN;
    }

    /// <summary>Draws every panel into the display's frame: the view, a screenshot when asked.</summary>
    private void Compose(FrameResult current, bool shownAny, bool last)
    {
        var t1 = Stopwatch.GetTimestamp();
        display.BeginFrame(Background);
        if (shownAny)
        {
            view.Draw(current, _status);
        }

        if (last && options.Screenshot is { } path)
        {
            SaveScreenshot(path);
        }
        else if (_screenshotRequested)
        {
            SaveScreenshot(FileNames.Stamped("convlive", ".png"));
        }

        _screenshotRequested = false;
        _recording?.AfterCompose();
        display.EndFrame();
        state.DrawMs.Add(Stopwatch.GetElapsedTime(t1).TotalMilliseconds);
    }

    /// <summary>
    /// Counts a presented frame (composed or retained): first and last times, resources, warm-up. Frames are timed
    /// by when they started, so the last one's screenshot (a PNG encode) does not count as display time.
    /// </summary>
    private void FinishFrame(long now, ref long rendered, ref long firstTicks, ref long warmTicks, ref long lastTicks, ref long allocatedAtWarmup)
    {
        if (rendered++ == 0)
        {
            firstTicks = now;
        }

        lastTicks = now;
        _resources.Tick(rendered);
        if (rendered == WarmupFrames)
        {
            allocatedAtWarmup = FrameAllocatedBytes();
        }

        // The display counts as warm once results have been on screen for a while (first textures made and sized).
        if (_framesSinceFirstResult >= 0 && ++_framesSinceFirstResult == WarmupFrames)
        {
            warmTicks = now;
            _warmFrame = rendered;
        }
    }

    /// <summary>Every quarter second: the display rate and the status lines.</summary>
    private void UpdateStatusWhenDue(ref long lastStatus, ref long renderedAtStatus, long rendered)
    {
        var now = Stopwatch.GetTimestamp();
        if (Stopwatch.GetElapsedTime(lastStatus, now) <= TimeSpan.FromSeconds(0.25))
        {
            return;
        }

        _displayFps = (rendered - renderedAtStatus) / Stopwatch.GetElapsedTime(lastStatus, now).TotalSeconds;
        (lastStatus, renderedAtStatus) = (now, rendered);
        UpdateStatus();
    }

    /// <summary>The render thread's managed allocations so far, less the status refreshes': those come four times a
    /// second whatever the frame rate, so counted per frame they grew as the display slowed (a loaded CI machine read
    /// 166 B a frame where 60 frames a second read under 64).</summary>
    private long FrameAllocatedBytes() => GC.GetAllocatedBytesForCurrentThread() - _statusAllocated;

    private long _statusAllocated;

    /// <summary>Refreshes the status lines, a few times a second (strings are made here, not per frame).</summary>
    private void UpdateStatus()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            RefreshStatus();
        }
        finally
        {
            _statusAllocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }
    }

    private void RefreshStatus()
    {
        var inferenceFps = state.Inferred.PerSecond is var rate && double.IsFinite(rate) ? rate : 0;
        _status.Rates = string.Create(CultureInfo.InvariantCulture, $"inference {inferenceFps:0.0} fps, {Ms(state.ForwardMs.Percentile(50))}");
        _status.Latency = string.Create(CultureInfo.InvariantCulture, $"display {_displayFps:0} fps, latency {Ms(state.LatencyMs.Percentile(50))}");
        _status.Device = state.Device.Name;
        _status.Source = state.Source.Description;
        _status.Problem = state.Problem ?? state.Notice ?? _recording?.Message;
        _status.Frozen = _frozen;
        if (!options.Headless)
        {
            display.SetTitle($"ConvLive — {state.Pipeline.Describe} — {_status.Rates}");
        }
    }

    private static string Ms(double value) =>
        double.IsFinite(value) ? string.Create(CultureInfo.InvariantCulture, $"{value:0.0} ms") : "- ms";

    private void OnKey(KeyPress press)
    {
        _recompose = true;
        if (view.OnKey(press))
        {
            return;
        }

        switch (press.Key)
        {
            case Key.Escape or Key.Q:
                display.RequestClose();
                break;
            case Key.S when !press.IsRepeat:
                _screenshotRequested = true;
                break;
            case Key.R when !press.IsRepeat:
                _recording?.Toggle();
                _recompose = true;
                break;
            case Key.F or Key.Space when !press.IsRepeat:
                _frozen = !_frozen;
                _status.Frozen = _frozen;
                break;
            case Key.Tab when !press.IsRepeat && options.Sources.Count > 1:
                state.RequestSource((state.SourceIndex + 1) % options.Sources.Count);
                break;
        }
    }

    /// <summary>Finalises a recording still open (Run does it already; this covers a loop that never ran).</summary>
    public void Dispose() => _recording?.Dispose();

    private void OnResized(int width, int height) => _recompose = true;

    private void OnClick(MouseClick click)
    {
        _recompose = true;
        view.OnClick(click);
    }

    private void SaveScreenshot(string path)
    {
        var pixels = new byte[display.Width * display.Height * 4];
        display.ReadPixels(pixels);
        Pictures.WritePng(path, pixels, display.Width, display.Height);
        log.WriteLine($"screenshot: {path}");
    }
}
