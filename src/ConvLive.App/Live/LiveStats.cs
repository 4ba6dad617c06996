// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using System.Text.Json;

namespace ConvLive.App.Live;

/// <summary>What a live run measured; written by <c>--stats</c> and summarised on stdout.</summary>
internal sealed class LiveStats
{
    /// <summary>Frames presented: composed, or the retained frame shown again when nothing changed.</summary>
    public long FramesRendered { get; init; }

    /// <summary>Frames composed anew (every panel drawn).</summary>
    public long FramesComposed { get; init; }

    public long FramesInferred { get; init; }

    public long FramesCaptured { get; init; }

    public long FramesDroppedBeforeInference { get; init; }

    public double DisplayFps { get; init; }

    public double InferenceFps { get; init; }

    public double CaptureFps { get; init; }

    public double LatencyMsP50 { get; init; }

    public double LatencyMsP95 { get; init; }

    public double InferenceMsP50 { get; init; }

    public double ElapsedSeconds { get; init; }

    public double CaptureMsP50 { get; init; }

    public double PreprocessMsP50 { get; init; }

    public double ForwardMsP50 { get; init; }

    public double PackMsP50 { get; init; }

    public double UploadMsP50 { get; init; }

    public double DrawMsP50 { get; init; }

    /// <summary>The explanation view shown at the end ("none", "gradient", "guided", "deconv", "gradcam").</summary>
    public string Explain { get; init; } = "none";

    /// <summary>What the explanation is of: "top class", "class K" (a top-5 line clicked) or "VALUE:CHANNEL" (key U).</summary>
    public string ExplainSeed { get; init; } = "top class";

    /// <summary>Median milliseconds of an explanation's backward pass per frame (NaN when none ran).</summary>
    public double ExplainMsP50 { get; init; }

    public int TappedLayers { get; init; }

    /// <summary>The top-9 of the layer last selected: its value, entries held, entries it can hold, frames seen,
    /// bytes all trackers hold; null when no channel layer was selected.</summary>
    public (string Layer, int Filled, int Slots, long Frames, long Bytes)? Top9 { get; init; }

    /// <summary>What a unit wants, at the end: the unit, steps taken, the last activation; null when off.</summary>
    public (string Unit, int Steps, float Activation)? Wants { get; init; }

    /// <summary>The last recording: file, codec, frames written, frames dropped, error; null when none.</summary>
    public (string Path, string Codec, long Frames, long Dropped, string? Error)? Recording { get; init; }

    /// <summary>Median milliseconds of a frame's ascent steps (NaN when none ran).</summary>
    public double WantsMsP50 { get; init; }

    public string Model { get; init; } = "none";

    /// <summary>Resource samples through the run (see <see cref="Loop.ResourceSampler"/>).</summary>
    public IReadOnlyList<Loop.ResourceSample> Resources { get; init; } = [];

    /// <summary>Frames answered with a class and "not sure" under a classifier's calibrated threshold, and the
    /// threshold last used (0: none).</summary>
    public (int Classes, int NotSure, float Threshold) Answers { get; init; }

    /// <summary>Frames whose network output held NaN or Inf, good frames after the last of them, and how many times a
    /// good frame followed a bad one.</summary>
    public (int Frames, int GoodAfter, int Recovered) NonFinite { get; init; }

    /// <summary>The sample map: shown, samples on it, of those the head gets wrong; null without a trainer.</summary>
    public (bool Shown, int Points, int Wrong)? Map { get; init; }

    /// <summary>Capture and training state as the window shows it (one entry a line), empty without training.</summary>
    public IReadOnlyList<string> Training { get; init; } = [];

    /// <summary>Training runs started and finished, heads exported and exports failed.</summary>
    public (int Started, int Finished, int Exported, int ExportFailed) TrainingRuns { get; init; }

    public (string Layer, string Label, int Channel, string Colormap)? Selection { get; init; }

    /// <summary>Managed bytes the render thread allocated per frame after warm-up, the status lines' refreshes (four a
    /// second, not per frame) left out (the hot path should not allocate).</summary>
    public double RenderThreadBytesPerFrame { get; init; }

    /// <summary>Managed bytes the inference thread allocated per inferred frame after warm-up.</summary>
    public double InferenceThreadBytesPerFrame { get; init; }

    public required string Device { get; init; }

    public required string Source { get; init; }

    public required string Display { get; init; }

    public required string Kernel { get; init; }

    /// <summary>The kernels view's whole setting (kernel, mode, stride, padding, activation, pooling, shift).</summary>
    public string KernelSetting { get; init; } = string.Empty;

    /// <summary>What the last click in the view showed (a receptive field), or empty.</summary>
    public string ClickInfo { get; init; } = string.Empty;

    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"rendered {FramesRendered} frames at {DisplayFps:0.0} fps; inferred {FramesInferred} at {InferenceFps:0.0} fps " +
        $"({InferenceMsP50:0.0} ms median); {Model}; {TappedLayers} layers tapped; latency p50 {LatencyMsP50:0.0} ms, p95 {LatencyMsP95:0.0} ms; {Device}; {Source}");

    /// <summary>Writes the JSON through a temporary file and a rename.</summary>
    public void Write(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + Engine.IO.AtomicFile.TempMarker + Environment.ProcessId;
        using (var stream = File.Create(temp))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("framesRendered", FramesRendered);
            json.WriteNumber("framesComposed", FramesComposed);
            json.WriteNumber("framesInferred", FramesInferred);
            json.WriteNumber("framesCaptured", FramesCaptured);
            json.WriteNumber("framesDroppedBeforeInference", FramesDroppedBeforeInference);
            WriteFinite(json, "displayFps", DisplayFps);
            WriteFinite(json, "inferenceFps", InferenceFps);
            WriteFinite(json, "captureFps", CaptureFps);
            WriteFinite(json, "latencyMsP50", LatencyMsP50);
            WriteFinite(json, "latencyMsP95", LatencyMsP95);
            WriteFinite(json, "inferenceMsP50", InferenceMsP50);
            WriteFinite(json, "elapsedSeconds", ElapsedSeconds);
            json.WriteNumber("tappedLayers", TappedLayers);
            json.WriteString("model", Model);
            json.WriteStartArray("resources");
            foreach (var r in Resources)
            {
                json.WriteStartObject();
                json.WriteNumber("seconds", Math.Round(r.Seconds, 2));
                json.WriteNumber("managedHeapBytes", r.ManagedHeapBytes);
                json.WriteNumber("workingSetBytes", r.WorkingSetBytes);
                json.WriteNumber("glObjects", r.GlObjects);
                json.WriteNumber("deviceBuffers", r.DeviceBuffers);
                json.WriteNumber("deviceBytes", r.DeviceBytes);
                json.WriteNumber("framesRendered", r.FramesRendered);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (Map is { } map)
            {
                json.WriteStartObject("map");
                json.WriteBoolean("shown", map.Shown);
                json.WriteNumber("points", map.Points);
                json.WriteNumber("wrong", map.Wrong);
                json.WriteEndObject();
            }

            json.WriteStartObject("trainingRuns");
            json.WriteNumber("started", TrainingRuns.Started);
            json.WriteNumber("finished", TrainingRuns.Finished);
            json.WriteNumber("exported", TrainingRuns.Exported);
            json.WriteNumber("exportFailed", TrainingRuns.ExportFailed);
            json.WriteEndObject();
            json.WriteStartObject("nonFinite");
            json.WriteNumber("frames", NonFinite.Frames);
            json.WriteNumber("goodAfter", NonFinite.GoodAfter);
            json.WriteNumber("recovered", NonFinite.Recovered);
            json.WriteEndObject();
            json.WriteStartObject("answers");
            json.WriteNumber("classes", Answers.Classes);
            json.WriteNumber("notSure", Answers.NotSure);
            json.WriteNumber("threshold", Answers.Threshold);
            json.WriteEndObject();
            json.WriteStartArray("training");
            foreach (var line in Training)
            {
                json.WriteStringValue(line);
            }

            json.WriteEndArray();
            if (Selection is { } selection)
            {
                json.WriteStartObject("selection");
                json.WriteString("layer", selection.Layer);
                json.WriteString("label", selection.Label);
                json.WriteNumber("channel", selection.Channel);
                json.WriteString("colormap", selection.Colormap);
                json.WriteEndObject();
            }

            json.WriteStartObject("stageMsP50");
            WriteFinite(json, "capture", CaptureMsP50);
            WriteFinite(json, "preprocess", PreprocessMsP50);
            WriteFinite(json, "forward", ForwardMsP50);
            WriteFinite(json, "pack", PackMsP50);
            WriteFinite(json, "upload", UploadMsP50);
            WriteFinite(json, "draw", DrawMsP50);
            WriteFinite(json, "explain", ExplainMsP50);
            WriteFinite(json, "wants", WantsMsP50);
            json.WriteEndObject();
            if (Top9 is { } top9)
            {
                json.WriteStartObject("top9");
                json.WriteString("layer", top9.Layer);
                json.WriteNumber("filled", top9.Filled);
                json.WriteNumber("slots", top9.Slots);
                json.WriteNumber("frames", top9.Frames);
                json.WriteNumber("bytes", top9.Bytes);
                json.WriteEndObject();
            }

            if (Recording is { } recording)
            {
                json.WriteStartObject("recording");
                json.WriteString("path", recording.Path);
                json.WriteString("codec", recording.Codec);
                json.WriteNumber("frames", recording.Frames);
                json.WriteNumber("dropped", recording.Dropped);
                json.WriteString("error", recording.Error);
                json.WriteEndObject();
            }

            if (Wants is { } wants)
            {
                json.WriteStartObject("wants");
                json.WriteString("unit", wants.Unit);
                json.WriteNumber("steps", wants.Steps);
                WriteFinite(json, "activation", wants.Activation);
                json.WriteEndObject();
            }

            json.WriteString("explain", Explain);
            json.WriteString("explainSeed", ExplainSeed);
            WriteFinite(json, "renderThreadBytesPerFrame", RenderThreadBytesPerFrame);
            WriteFinite(json, "inferenceThreadBytesPerFrame", InferenceThreadBytesPerFrame);
            json.WriteString("device", Device);
            json.WriteString("source", Source);
            json.WriteString("display", Display);
            json.WriteString("kernel", Kernel);
            json.WriteString("kernelSetting", KernelSetting);
            json.WriteString("receptiveField", ClickInfo);
            json.WriteEndObject();
        }

        File.Move(temp, full, overwrite: true);
    }

    // JSON has no NaN: a figure that could not be measured is written as null.
    private static void WriteFinite(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, Math.Round(value, 3));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
