// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Backends.Cpu;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Graph;

namespace ConvLive.App.Live;

/// <summary>
/// The inference thread: takes the newest frame, runs the pipeline into the results hand-off, and when an
/// accelerator fails mid-run rebuilds the pipeline on the SIMD CPU backend and goes on.
/// </summary>
/// <remarks>Swaps the state's device, backend and pipeline on a fallback and releases the failed ones.</remarks>
internal sealed class InferenceWorker(LiveState state, LiveOptions options, TextWriter log, Action requestClose)
{
    /// <summary>
    /// Niceness of the inference thread and the CPU backend's workers: when the cores are contended the display
    /// and the rasteriser go first, so the picture keeps its rate and inference takes the rest.
    /// </summary>
    public const int Nice = 5;

    /// <summary>The thread body: runs until the state's stop token is cancelled or the device fails for good.</summary>
    public void Run()
    {
        var token = state.Stop.Token;
        var allocatedAtWarmup = 0L;
        ThreadNice.TrySet(Nice);
        if (state.Device.Workers is { } workers)
        {
            workers.Nice = Nice;
        }

        while (!token.IsCancellationRequested)
        {
            if (!state.FrameReady.WaitOne(100) || !state.Frames.TryTakeNewest(out var frame))
            {
                continue;
            }

            try
            {
                var slot = state.Results.WriteSlot;
                if (options.FaultAfterFrames > 0 && state.Inferred.Count + 1 >= options.FaultAfterFrames && state.Device.Kind != DeviceKind.Cpu)
                {
                    throw new InvalidOperationException("injected device fault (CONVLIVE_FAULT_AFTER_FRAMES)");
                }

                state.Pipeline.Process(frame, slot);
                var t1 = Stopwatch.GetTimestamp();
                state.PreprocessMs.Add(slot.PreprocessMs);
                state.ForwardMs.Add(slot.ForwardMs);
                state.PackMs.Add(slot.PackMs);
                if (slot is ModelFrameResult { ExplainMs: > 0 } explained)
                {
                    state.ExplainMs.Add(explained.ExplainMs);
                }

                if (slot is ModelFrameResult { WantsMs: > 0 } wanted)
                {
                    state.WantsMs.Add(wanted.WantsMs);
                }
                state.Results.Publish();
                var inferred = state.Inferred.Tick(t1);
                if (inferred == LiveState.WarmupFrames)
                {
                    allocatedAtWarmup = GC.GetAllocatedBytesForCurrentThread();
                }
                else if (inferred > LiveState.WarmupFrames)
                {
                    state.InferenceAllocatedPerFrame = (double)(GC.GetAllocatedBytesForCurrentThread() - allocatedAtWarmup) / (inferred - LiveState.WarmupFrames);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                if (state.Device.Kind == DeviceKind.Cpu || !TryFallBackToCpu(e))
                {
                    state.Fatal = $"{state.Device.Name} failed while running a frame through the {state.Pipeline.Describe}: {e.Message}. Try --device cpu.";
                    requestClose();
                    return;
                }
            }
        }
    }

    /// <summary>
    /// An accelerator failed mid-run: the same pipeline is rebuilt on the SIMD CPU backend (the views keep their
    /// state: the model's taps and atlas are the same; captured samples stay, a trained head must be trained again)
    /// and the loop goes on.
    /// </summary>
    /// <returns>False when the CPU pipeline cannot be built either.</returns>
    private bool TryFallBackToCpu(Exception failure)
    {
        var (oldDevice, oldBackend, oldPipeline) = (state.Device, state.Backend, state.Pipeline);
        ComputeDevice? cpu = null;
        IBackend? backend = null;
        try
        {
            cpu = ComputeDevice.Open(DeviceKind.Cpu, null, LiveSession.Compute(options).Threads);
            cpu.Workers!.Nice = Nice;
            backend = LiveSession.CreateBackend(cpu, options, log);
            IFramePipeline pipeline = oldPipeline switch
            {
                KernelsPipeline k => new KernelsPipeline(backend, k.Controls),
                ModelPipeline m => new ModelPipeline(m.Model.Reopen(backend), m.Training, m.Explain, m.Study, m.ModelNotSureBelow),
                _ => throw new InvalidOperationException("unknown pipeline"),
            };
            if (pipeline is ModelPipeline { Training: { } training } mp)
            {
                training.Rebind(backend, mp.Model);
            }

            (state.Device, state.Backend, state.Pipeline) = (cpu, backend, pipeline);
        }
        catch (Exception e) when (e is ModelException or DeviceUnavailableException or InvalidOperationException)
        {
            backend?.Dispose();
            cpu?.Dispose();
            return false;
        }

        var message = $"{oldDevice.Name} failed mid-run ({failure.Message}); continuing on {state.Device.Name}";
        log.WriteLine($"device: {message}");
        state.Notice = message;
        Release(oldDevice, oldBackend, oldPipeline);
        return true;
    }

    /// <summary>The failed device's buffers and kernels: released as far as the driver still allows.</summary>
    private void Release(ComputeDevice device, IBackend? backend, IFramePipeline pipeline)
    {
        try
        {
            if (pipeline is ModelPipeline old)
            {
                old.ReleaseModel(); // the training and the study live on in the new pipeline
            }
            else
            {
                pipeline.Dispose();
            }

            backend?.Dispose();
            device.Dispose();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.WriteLine($"device: releasing {device.Name} failed too ({e.Message})");
        }
    }
}
