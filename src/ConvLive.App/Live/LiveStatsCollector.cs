// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Loop;
using ConvLive.Engine.Backends;
using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>The run's figures, gathered from the threads' counters once the loops have stopped.</summary>
internal static class LiveStatsCollector
{
    /// <summary>The stats of a finished run.</summary>
    public static LiveStats Collect(LiveState state, RenderResult render, ILiveView view, Display display, double elapsedSeconds)
    {
        var pipeline = state.Pipeline;
        return new LiveStats
        {
            FramesRendered = render.FramesRendered,
            FramesComposed = render.FramesComposed,
            FramesInferred = state.Inferred.Count,
            FramesCaptured = state.Captured.Count,
            FramesDroppedBeforeInference = state.Frames.Dropped,
            // The display's steady rate: from 30 frames after the first result reached the screen (first textures
            // made and sized) on, when the run went that far; the inference and capture rates start at their first frame.
            DisplayFps = render.WarmTicks > 0 && render.FramesRendered - render.WarmFrame >= LiveState.WarmupFrames
                ? RateCounter.Rate(render.FramesRendered - render.WarmFrame + 1, render.WarmTicks, render.LastFrameTicks)
                : RateCounter.Rate(render.FramesRendered, render.FirstFrameTicks, render.LastFrameTicks),
            InferenceFps = state.Inferred.PerSecond,
            CaptureFps = state.Captured.PerSecond,
            LatencyMsP50 = state.LatencyMs.Percentile(50),
            LatencyMsP95 = state.LatencyMs.Percentile(95),
            InferenceMsP50 = state.ForwardMs.Percentile(50),
            CaptureMsP50 = state.CaptureMs.Percentile(50),
            PreprocessMsP50 = state.PreprocessMs.Percentile(50),
            ForwardMsP50 = state.ForwardMs.Percentile(50),
            PackMsP50 = state.PackMs.Percentile(50),
            UploadMsP50 = state.UploadMs.Percentile(50),
            DrawMsP50 = state.DrawMs.Percentile(50),
            ExplainMsP50 = state.ExplainMs.Percentile(50),
            Explain = pipeline is ModelPipeline { Explain: { } e } ? e.Name : "none",
            ExplainSeed = pipeline is ModelPipeline { Explain: { } seed } ? seed.Seed : "top class",
            WantsMsP50 = state.WantsMs.Percentile(50),
            Recording = render.Recording,
            Top9 = pipeline is ModelPipeline { Study.Book.Current: { } tracker } top9
                ? (top9.Study!.Book.CurrentLayer, tracker.Filled, tracker.Channels * tracker.Keep, tracker.Frames, top9.Study.Book.Bytes)
                : null,
            Wants = pipeline is ModelPipeline { WantsState: { } w } ? w : null,
            TappedLayers = view.TappedLayers,
            Selection = view.Selection,
            ClickInfo = view.ClickInfo,
            ElapsedSeconds = elapsedSeconds,
            RenderThreadBytesPerFrame = render.AllocatedPerFrame,
            InferenceThreadBytesPerFrame = state.InferenceAllocatedPerFrame,
            Device = state.Backend?.Options.FullyConnectedWeights is { } precision && precision != WeightPrecision.Float32
                ? $"{state.Device.Name}, {precision.ToName()} fully connected weights"
                : state.Device.Name,
            Source = state.Source.Description,
            Display = $"{display.Kind}, {display.Renderer}",
            Kernel = pipeline is KernelsPipeline k ? k.Controls.Current.Filter.Kernel.ToString() : string.Empty,
            KernelSetting = pipeline is KernelsPipeline ks ? KernelControls.Describe(ks.Controls.Current) : string.Empty,
            Model = pipeline is ModelPipeline m ? m.Model.Name : "none",
            Training = pipeline is ModelPipeline { Training: { } t } ? t.Status.Lines : [],
            Map = pipeline is ModelPipeline { Training: { } trainer }
                ? (trainer.Map.Shown, trainer.Map.Picture?.Points.Count ?? 0, trainer.Map.Picture?.Points.Count(p => p.Wrong) ?? 0)
                : null,
            Answers = pipeline is ModelPipeline answers
                ? (answers.Answers.Classes, answers.Answers.NotSure, answers.Training?.NotSureBelow is > 0 and var t2 ? t2 : answers.ModelNotSureBelow ?? 0f)
                : default,
            NonFinite = pipeline is ModelPipeline finite ? (finite.NonFinite.Frames, finite.NonFinite.GoodAfter, finite.NonFinite.Recovered) : default,
            TrainingRuns = pipeline is ModelPipeline { Training: { } runs } ? (runs.Runs.Started, runs.Runs.Finished, runs.Exports.Saved, runs.Exports.Failed) : default,
            Resources = render.Resources,
        };
    }
}
