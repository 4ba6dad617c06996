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
    [Theory]
    [InlineData(50)] // inference at 20 a second
    [InlineData(4)]  // results faster than frames: a newer one must not restart the uploads for ever
    public void AResultWhoseUploadTakesTwoFramesIsComposedOnceAndNeverHalfUploaded(int publishEveryMs)
    {
        using var display = Display.CreateHeadless(64, 48);
        using var device = ComputeDevice.Open(DeviceKind.Cpu);
        using var state = new LiveState(new SyntheticSource(64, 48), device, null, new NumberedPipeline());
        using var view = new TwoFrameUploadView();
        var options = new LiveOptions(["synthetic"], null, DeviceKind.Cpu, Headless: true, Frames: 90, null, null, 64, 48, 0,
            Path.GetTempPath(), [], false, []);

        // A loop that never finishes an upload never reaches its last frame either: closed after 30 s, it fails the
        // checks below instead of hanging the run.
        using var watchdog = new Timer(_ => display.RequestClose(), null, TimeSpan.FromSeconds(30), Timeout.InfiniteTimeSpan);

        // Results every few milliseconds or every 50 (inference at 20 a second): either way well inside the loop's
        // tenth-of-a-second recomposition, so compositions are the ones results ask for, bar a stalled writer.
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
                Thread.Sleep(publishEveryMs);
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
        // textures, once whole); now once, plus the first and last frames and a recomposition wherever a loaded
        // machine stalled the writer past 100 ms.
        Assert.True(result.FramesComposed <= (view.Uploaded.Count * 3 / 2) + 4, $"{result.FramesComposed} compositions for {view.Uploaded.Count} results");
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
