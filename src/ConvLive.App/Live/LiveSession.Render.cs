// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using ConvLive.App.Loop;
using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>The render thread: input, texture uploads, panels, screenshots.</summary>
internal sealed partial class LiveSession
{
    private const double HeadlessFps = 60;

    // Vsync normally paces a window; where it has no effect (Xvfb, some drivers) this cap keeps the render
    // thread from spinning and taking the cores inference needs.
    private const double WindowFpsCap = 144;

    private static readonly TimeSpan FirstResultTimeout = TimeSpan.FromSeconds(60);
    private static readonly Colour Background = new(0.07f, 0.07f, 0.08f);
    private static readonly Colour PanelBorder = new(0.22f, 0.22f, 0.25f);

    /// <summary>Frames after which the loops count as warm: textures, buffers and JIT settled.</summary>
    private const int WarmupFrames = 30;

    private bool _frozen;
    private double _renderAllocatedPerFrame = double.NaN;
    private bool _screenshotRequested;

    private readonly record struct RenderResult(long FramesRendered, long FirstFrameTicks, long LastFrameTicks, string? Failure);

    private RenderResult RenderLoop()
    {
        using var frameTexture = _display.CreateTexture(smooth: true);
        using var edgeTexture = _display.CreateTexture(smooth: false);
        var pacer = new FramePacer(_options.MaxFps > 0 ? _options.MaxFps : _options.Headless ? HeadlessFps : WindowFpsCap);
        var layout = Array.Empty<RectF>();
        int layoutWidth = -1, layoutHeight = -1, contentWidth = 4, contentHeight = 3;
        bool frameUploadPending = false, edgeUploadPending = false, shownAny = false;
        long rendered = 0, firstTicks = 0, lastTicks = 0, allocatedAtWarmup = -1;
        var started = Stopwatch.GetTimestamp();
        var lastTitle = started;

        _display.KeyPressed += OnKey;
        try
        {
            while (!_display.IsCloseRequested)
            {
                _display.PollEvents();
                if (!_frozen && _results.TryTakeNewest(out var result))
                {
                    frameUploadPending = edgeUploadPending = true;
                    _latencyMs.Add(Stopwatch.GetElapsedTime(result.Frame.CapturedTicks).TotalMilliseconds);
                    shownAny = true;
                }

                var current = _results.ReadSlot;
                if (frameUploadPending)
                {
                    frameUploadPending = !frameTexture.TryUpload(current.Frame.Pixels, current.Frame.Width, current.Frame.Height, PixelLayout.Bgr8);
                }

                if (edgeUploadPending)
                {
                    edgeUploadPending = !edgeTexture.TryUpload(current.RgbaPixels, current.Frame.Width, current.Frame.Height, PixelLayout.Rgba8);
                }

                if (shownAny && (current.Frame.Width != contentWidth || current.Frame.Height != contentHeight))
                {
                    (contentWidth, contentHeight) = (current.Frame.Width, current.Frame.Height);
                    layoutWidth = -1;
                }

                if (_display.Width != layoutWidth || _display.Height != layoutHeight)
                {
                    (layoutWidth, layoutHeight) = (_display.Width, _display.Height);
                    layout = PanelLayout.Grid(layoutWidth, layoutHeight, 2, (float)contentWidth / contentHeight, margin: 12);
                }

                var last = _options.Frames > 0 && rendered + 1 >= _options.Frames && shownAny;
                _display.BeginFrame(Background);
                for (var i = 0; i < layout.Length; i++)
                {
                    _display.FillRect(layout[i].Inset(-2), PanelBorder);
                    _display.FillRect(layout[i], Background);
                }

                _display.DrawTexture(frameTexture, layout[0]);
                _display.DrawTexture(edgeTexture, layout[1]);
                if (last && _options.Screenshot is { } path)
                {
                    SaveScreenshot(path);
                }
                else if (_screenshotRequested)
                {
                    SaveScreenshot(string.Create(CultureInfo.InvariantCulture, $"convlive-{DateTime.Now:yyyyMMdd-HHmmss-fff}.png"));
                }

                _screenshotRequested = false;
                _display.EndFrame();
                var now = Stopwatch.GetTimestamp();
                if (rendered++ == 0)
                {
                    firstTicks = now;
                }

                lastTicks = now;
                if (rendered == WarmupFrames)
                {
                    allocatedAtWarmup = GC.GetAllocatedBytesForCurrentThread();
                }

                if (last)
                {
                    break;
                }

                if (!shownAny && Stopwatch.GetElapsedTime(started) > FirstResultTimeout)
                {
                    var why = _fatal ?? $"no frame came through {_device.Name} within {FirstResultTimeout.TotalSeconds:0} s (source: {_source.LastProblem ?? "no problem reported"})";
                    return new RenderResult(rendered, firstTicks, lastTicks, why);
                }

                if (!_options.Headless && Stopwatch.GetElapsedTime(lastTitle) > TimeSpan.FromSeconds(0.5))
                {
                    lastTitle = now;
                    UpdateTitle();
                }

                pacer.Wait(_stop.Token);
            }
        }
        finally
        {
            _display.KeyPressed -= OnKey;
        }

        _renderAllocatedPerFrame = allocatedAtWarmup >= 0 && rendered > WarmupFrames
            ? (double)(GC.GetAllocatedBytesForCurrentThread() - allocatedAtWarmup) / (rendered - WarmupFrames)
            : double.NaN;
        return new RenderResult(rendered, firstTicks, lastTicks, null);
    }

    private void OnKey(KeyPress press)
    {
        switch (press.Key)
        {
            case Key.Escape or Key.Q:
                _display.RequestClose();
                break;
            case Key.S when !press.IsRepeat:
                _screenshotRequested = true;
                break;
            case Key.F or Key.Space when !press.IsRepeat:
                _frozen = !_frozen;
                break;
            case Key.C when !press.IsRepeat:
                _kernel = Kernels[(Array.IndexOf(Kernels, _kernel) + 1) % Kernels.Length];
                break;
        }
    }

    private void UpdateTitle()
    {
        var inferred = Interlocked.Read(ref _framesInferred);
        _display.SetTitle(string.Create(CultureInfo.InvariantCulture,
            $"ConvLive — {_kernel.Name} kernel · {_inferenceMs.Percentile(50):0.0} ms/frame · {inferred} frames · {_device.Name}{(_frozen ? " · FROZEN" : string.Empty)}"));
    }

    private void SaveScreenshot(string path)
    {
        var pixels = new byte[_display.Width * _display.Height * 4];
        _display.ReadPixels(pixels);
        PngWriter.Write(path, pixels, _display.Width, _display.Height);
        _log.WriteLine($"screenshot: {path}");
    }
}
