// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.App.Loop;

namespace ConvLive.App.Live;

/// <summary>The capture and inference threads.</summary>
internal sealed partial class LiveSession
{
    private static readonly TimeSpan ProblemReportInterval = TimeSpan.FromSeconds(5);

    private double _inferenceAllocatedPerFrame = double.NaN;

    private void CaptureLoop()
    {
        var token = _stop.Token;
        var pacer = new FramePacer(_source.PacesItself ? 0 : _source.FramesPerSecond);
        string? lastProblem = null;
        var lastReport = 0L;
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (_source.TryRead(_frames.WriteSlot))
                {
                    var now = Stopwatch.GetTimestamp();
                    if (Interlocked.Increment(ref _framesCaptured) == 1)
                    {
                        _firstCaptureTicks = now;
                    }

                    _lastCaptureTicks = now;
                    _frames.Publish();
                    _frameReady.Set();
                }
                else
                {
                    // The source keeps its own retry policy (a camera reopens itself); report, wait, go on.
                    var problem = _source.LastProblem ?? "the source gave no frame";
                    if (problem != lastProblem || Stopwatch.GetElapsedTime(lastReport) > ProblemReportInterval)
                    {
                        _log.WriteLine($"capture: {problem}");
                        lastProblem = problem;
                        lastReport = Stopwatch.GetTimestamp();
                    }

                    token.WaitHandle.WaitOne(100);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log.WriteLine($"capture: {e.Message}; retrying in 1 s");
                token.WaitHandle.WaitOne(1000);
            }

            pacer.Wait(token);
        }
    }

    private void InferenceLoop()
    {
        var token = _stop.Token;
        var allocatedAtWarmup = 0L;
        while (!token.IsCancellationRequested)
        {
            if (!_frameReady.WaitOne(100) || !_frames.TryTakeNewest(out var frame))
            {
                continue;
            }

            try
            {
                var kernel = _kernel;
                if (!ReferenceEquals(_filter.Kernel, kernel))
                {
                    _filter.Kernel = kernel;
                }

                var slot = _results.WriteSlot;
                slot.Prepare(frame);
                slot.KernelName = kernel.Name;
                var t0 = Stopwatch.GetTimestamp();
                _filter.Run(slot.Frame.Pixels, slot.Frame.Width, slot.Frame.Height, slot.RgbaPixels, []);
                var t1 = Stopwatch.GetTimestamp();
                slot.InferenceMs = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
                _inferenceMs.Add(slot.InferenceMs);
                _results.Publish();
                if (Interlocked.Increment(ref _framesInferred) == 1)
                {
                    _firstInferTicks = t1;
                }

                _lastInferTicks = t1;
                if (_framesInferred == WarmupFrames)
                {
                    allocatedAtWarmup = GC.GetAllocatedBytesForCurrentThread();
                }
                else if (_framesInferred > WarmupFrames)
                {
                    _inferenceAllocatedPerFrame = (double)(GC.GetAllocatedBytesForCurrentThread() - allocatedAtWarmup) / (_framesInferred - WarmupFrames);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _fatal = $"{_device.Name} failed while filtering a frame: {e.Message}. Try --device cpu.";
                _display.RequestClose();
                return;
            }
        }
    }
}
