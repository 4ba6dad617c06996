// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.App.Loop;
using ConvLive.Capture;

namespace ConvLive.App.Live;

/// <summary>The capture thread: reads the source at its pace into the frames hand-off, switches source on Tab,
/// and reports a source's problems without stopping.</summary>
/// <remarks>Does not own the source (the state holds it; the session disposes the last one).</remarks>
internal sealed class CaptureWorker(LiveState state, IReadOnlyList<string> sources, TextWriter log)
{
    private static readonly TimeSpan ProblemReportInterval = TimeSpan.FromSeconds(5);

    /// <summary>The thread body: runs until the state's stop token is cancelled.</summary>
    public void Run()
    {
        var token = state.Stop.Token;
        var pacer = Pacer();
        string? lastProblem = null;
        var lastReport = 0L;
        while (!token.IsCancellationRequested)
        {
            if (state.TakeRequestedSource() is var next && next >= 0)
            {
                Switch(next);
                pacer = Pacer();
            }

            try
            {
                var t0 = Stopwatch.GetTimestamp();
                if (state.Source.TryRead(state.Frames.WriteSlot))
                {
                    var now = Stopwatch.GetTimestamp();
                    state.CaptureMs.Add(Stopwatch.GetElapsedTime(t0, now).TotalMilliseconds);
                    state.Captured.Tick(now);
                    state.Problem = null;
                    state.Frames.Publish();
                    state.FrameReady.Set();
                }
                else
                {
                    // The source keeps its own retry policy (a camera reopens itself); report, wait, go on.
                    var problem = state.Source.LastProblem ?? "the source gave no frame";
                    state.Problem = problem;
                    if (problem != lastProblem || Stopwatch.GetElapsedTime(lastReport) > ProblemReportInterval)
                    {
                        log.WriteLine($"capture: {problem}");
                        lastProblem = problem;
                        lastReport = Stopwatch.GetTimestamp();
                    }

                    token.WaitHandle.WaitOne(100);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                state.Problem = $"capture failed: {e.Message}; retrying";
                log.WriteLine($"capture: {e.Message}; retrying in 1 s");
                token.WaitHandle.WaitOne(1000);
            }

            pacer.Wait(token);
        }
    }

    private FramePacer Pacer() => new(state.Source.PacesItself ? 0 : state.Source.FramesPerSecond);

    /// <summary>Opens the source Tab asked for; on failure keeps the current one and says why.</summary>
    private void Switch(int index)
    {
        try
        {
            var next = FrameSources.Open(sources[index]);
            var old = state.Source;
            state.Source = next;
            state.SourceIndex = index;
            old.Dispose();
            log.WriteLine($"source: {next.Description}");
        }
        catch (FrameSourceException e)
        {
            state.Problem = e.Message;
            log.WriteLine($"capture: {e.Message}");
        }
    }
}
