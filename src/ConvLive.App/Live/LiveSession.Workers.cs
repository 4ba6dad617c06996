// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.App.Loop;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Backends.Cpu;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Graph;
using ConvLive.Capture;

namespace ConvLive.App.Live;

/// <summary>The capture and inference threads.</summary>
internal sealed partial class LiveSession
{
    private static readonly TimeSpan ProblemReportInterval = TimeSpan.FromSeconds(5);

    private double _inferenceAllocatedPerFrame = double.NaN;
    private volatile string? _problem;

    private void CaptureLoop()
    {
        var token = _stop.Token;
        var pacer = new FramePacer(_source.PacesItself ? 0 : _source.FramesPerSecond);
        string? lastProblem = null;
        var lastReport = 0L;
        while (!token.IsCancellationRequested)
        {
            if (_nextSource >= 0)
            {
                SwitchSource();
                pacer = new FramePacer(_source.PacesItself ? 0 : _source.FramesPerSecond);
            }

            try
            {
                var t0 = Stopwatch.GetTimestamp();
                if (_source.TryRead(_frames.WriteSlot))
                {
                    var now = Stopwatch.GetTimestamp();
                    _captureMs.Add(Stopwatch.GetElapsedTime(t0, now).TotalMilliseconds);
                    if (Interlocked.Increment(ref _framesCaptured) == 1)
                    {
                        _firstCaptureTicks = now;
                    }

                    _lastCaptureTicks = now;
                    _problem = null;
                    _frames.Publish();
                    _frameReady.Set();
                }
                else
                {
                    // The source keeps its own retry policy (a camera reopens itself); report, wait, go on.
                    var problem = _source.LastProblem ?? "the source gave no frame";
                    _problem = problem;
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
                _problem = $"capture failed: {e.Message}; retrying";
                _log.WriteLine($"capture: {e.Message}; retrying in 1 s");
                token.WaitHandle.WaitOne(1000);
            }

            pacer.Wait(token);
        }
    }

    /// <summary>Opens the source Tab asked for; on failure keeps the current one and says why.</summary>
    private void SwitchSource()
    {
        var index = Interlocked.Exchange(ref _nextSource, -1);
        try
        {
            var next = FrameSources.Open(_options.Sources[index]);
            var old = _source;
            _source = next;
            _sourceIndex = index;
            old.Dispose();
            _log.WriteLine($"source: {next.Description}");
        }
        catch (FrameSourceException e)
        {
            _problem = e.Message;
            _log.WriteLine($"capture: {e.Message}");
        }
    }

    /// <summary>
    /// Niceness of the inference thread and the CPU backend's workers: when the cores are contended the display
    /// and the rasteriser go first, so the picture keeps its rate and inference takes the rest.
    /// </summary>
    private const int InferenceNice = 5;

    private void InferenceLoop()
    {
        var token = _stop.Token;
        var allocatedAtWarmup = 0L;
        ThreadNice.TrySet(InferenceNice);
        if (_device.Workers is { } workers)
        {
            workers.Nice = InferenceNice;
        }

        _faultAfterFrames = _options.FaultAfterFrames;
        while (!token.IsCancellationRequested)
        {
            if (!_frameReady.WaitOne(100) || !_frames.TryTakeNewest(out var frame))
            {
                continue;
            }

            try
            {
                var slot = _results.WriteSlot;
                if (_faultAfterFrames > 0 && _framesInferred + 1 >= _faultAfterFrames && _device.Kind != DeviceKind.Cpu)
                {
                    throw new InvalidOperationException("injected device fault (CONVLIVE_FAULT_AFTER_FRAMES)");
                }

                _pipeline.Process(frame, slot);
                var t1 = Stopwatch.GetTimestamp();
                _preprocessMs.Add(slot.PreprocessMs);
                _forwardMs.Add(slot.ForwardMs);
                _packMs.Add(slot.PackMs);
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
                if (_device.Kind == DeviceKind.Cpu || !TryFallBackToCpu(e))
                {
                    _fatal = $"{_device.Name} failed while running a frame through the {_pipeline.Describe}: {e.Message}. Try --device cpu.";
                    _display.RequestClose();
                    return;
                }
            }
        }
    }

    /// <summary>
    /// An accelerator failed mid-run: the same pipeline is rebuilt on the SIMD CPU backend (the views keep their
    /// state: the model's taps and atlas are the same; captured samples stay, a trained head must be trained again)
    /// and the loop goes on. Inference thread.
    /// </summary>
    /// <returns>False when the CPU pipeline cannot be built either.</returns>
    private bool TryFallBackToCpu(Exception failure)
    {
        var (oldDevice, oldBackend, oldPipeline) = (_device, _backend, _pipeline);
        ComputeDevice? cpu = null;
        IBackend? backend = null;
        try
        {
            cpu = ComputeDevice.Open(DeviceKind.Cpu, null, Compute(_options).Threads);
            cpu.Workers!.Nice = InferenceNice;
            backend = CreateBackend(cpu, _options, _log);
            IFramePipeline pipeline = oldPipeline switch
            {
                KernelsPipeline k => new KernelsPipeline(backend, k.Controls),
                ModelPipeline m => new ModelPipeline(m.Model.Reopen(backend), m.Training),
                _ => throw new InvalidOperationException("unknown pipeline"),
            };
            if (pipeline is ModelPipeline { Training: { } training } mp)
            {
                training.Rebind(backend, mp.Model);
            }

            (_device, _backend, _pipeline) = (cpu, backend, pipeline);
        }
        catch (Exception e) when (e is ModelException or DeviceUnavailableException or InvalidOperationException)
        {
            backend?.Dispose();
            cpu?.Dispose();
            return false;
        }

        var message = $"{oldDevice.Name} failed mid-run ({failure.Message}); continuing on {_device.Name}";
        _log.WriteLine($"device: {message}");
        _notice = message;
        try
        {
            // The failed device's buffers and kernels: released as far as the driver still allows.
            if (oldPipeline is ModelPipeline old)
            {
                old.Model.Dispose();
            }
            else
            {
                oldPipeline.Dispose();
            }

            oldBackend?.Dispose();
            oldDevice.Dispose();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.WriteLine($"device: releasing {oldDevice.Name} failed too ({e.Message})");
        }

        return true;
    }
}
