// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.App.Live;
using ConvLive.Capture;
using ConvLive.Engine.Devices;
using ConvLive.Render;

namespace ConvLive.App.Tests;

/// <summary>The render loop's compositions: what it draws, and when, as results come in.</summary>
public sealed class LiveRenderLoopTests
{
    [Fact]
    public void AResultWhoseUploadTakesTwoFramesIsComposedOnceAndNeverHalfUploaded()
    {
        using var display = Display.CreateHeadless(64, 48);
        using var device = ComputeDevice.Open(DeviceKind.Cpu);
        using var state = new LiveState(new SyntheticSource(64, 48), device, null, new NumberedPipeline());
        using var view = new TwoFrameUploadView();
        var options = new LiveOptions(["synthetic"], null, DeviceKind.Cpu, Headless: true, Frames: 90, null, null, 64, 48, 0,
            Path.GetTempPath(), [], false, []);

        // Results every 50 ms, as inference at 20 a second publishes them, so the loop's tenth-of-a-second
        // recomposition has no gap to fill and each composition is one a result asked for.
        using var stop = new CancellationTokenSource();
        var published = 0;
        var writer = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var slot = (NumberedResult)state.Results.WriteSlot;
                slot.Number = Interlocked.Increment(ref published);
                slot.Frame.CapturedTicks = Stopwatch.GetTimestamp();
                state.Results.Publish();
                Thread.Sleep(50);
            }
        });
        writer.Start();
        RenderResult result;
        try
        {
            using var loop = new LiveRenderLoop(state, options, display, view, TextWriter.Null);
            result = loop.Run();
        }
        finally
        {
            stop.Cancel();
            writer.Join();
        }

        Assert.Null(result.Failure);
        Assert.True(view.Uploaded.Count >= 10, $"only {view.Uploaded.Count} results uploaded in {result.FramesRendered} frames");
        Assert.True(view.HalfUploadedDraws == 0, $"{view.HalfUploadedDraws} compositions drew a result whose textures were half uploaded");

        // Before uploads came ahead of the choice to compose, each such result was composed twice (once with half its
        // textures, once whole); now once, plus at most a few recompositions where 50 ms stretched past 100.
        Assert.True(result.FramesComposed <= view.Uploaded.Count + 4, $"{result.FramesComposed} compositions for {view.Uploaded.Count} results");
        Assert.True(result.FramesComposed < result.FramesRendered, $"{result.FramesComposed} of {result.FramesRendered} frames composed");
    }

    private sealed class NumberedResult : FrameResult
    {
        public int Number { get; set; }
    }

    private sealed class NumberedPipeline : IFramePipeline
    {
        public string Describe => "numbered results";

        public void Process(VideoFrame frame, FrameResult slot) => throw new NotSupportedException("the test publishes results itself");

        public FrameResult CreateResult() => new NumberedResult();

        public void Dispose()
        {
        }
    }

    /// <summary>A view whose textures for each result take two frames' upload budget: half the first frame, the rest
    /// the next. Counts compositions that drew a result before all of it was up.</summary>
    private sealed class TwoFrameUploadView : ILiveView
    {
        private int _halfOf = -1;

        public HashSet<int> Uploaded { get; } = [];

        public int HalfUploadedDraws { get; private set; }

        public string ClickInfo => string.Empty;

        public int TappedLayers => 0;

        public (string Layer, string Label, int Channel, string Colormap)? Selection => null;

        public bool TryUpload(FrameResult result)
        {
            var number = ((NumberedResult)result).Number;
            if (_halfOf != number)
            {
                _halfOf = number; // the first half goes up; the budget holds the rest back
                return false;
            }

            Uploaded.Add(number);
            return true;
        }

        public void Draw(FrameResult result, StatusText status)
        {
            if (!Uploaded.Contains(((NumberedResult)result).Number))
            {
                HalfUploadedDraws++;
            }
        }

        public bool OnKey(KeyPress key) => false;

        public bool OnClick(MouseClick click) => false;

        public void Dispose()
        {
        }
    }
}
