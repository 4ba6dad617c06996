// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Training;
using ConvLive.Capture;
using ConvLive.Engine.Live;
using ConvLive.Engine.Models;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Explain;
using ConvLive.Engine.Teaching;
using ConvLive.Engine.Vision;

namespace ConvLive.App.Live;

/// <summary>What the inference thread does with each frame.</summary>
internal interface IFramePipeline : IDisposable
{
    /// <summary>The model or filter, for titles and stats.</summary>
    string Describe { get; }

    /// <summary>Runs <paramref name="frame"/> into <paramref name="slot"/>; inference thread only.</summary>
    void Process(VideoFrame frame, FrameResult slot);

    /// <summary>A result slot of this pipeline's own kind (the triple buffer's factory).</summary>
    FrameResult CreateResult();
}

/// <summary>The lecture's kernels on the grey frame, on the backend, with stride, padding, activation and pooling
/// as <see cref="KernelControls"/> sets them; the map and (with a shift) the difference image coloured for display.</summary>
internal sealed class KernelsPipeline(IBackend backend, KernelControls controls) : IFramePipeline
{
    private readonly LiveFeatureMap _map = new(backend);
    private (int W, int H, KernelViewSettings? S) _sized;
    private KernelsResult? _info;

    public KernelControls Controls { get; } = controls;

    public string Describe => $"kernels view ({KernelControls.Describe(Controls.Current)}) on {backend.Name}";

    public FrameResult CreateResult() => new KernelsFrameResult();

    public void Process(VideoFrame frame, FrameResult result)
    {
        var slot = (KernelsFrameResult)result;
        var s = Controls.Current;
        var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_sized != (frame.Width, frame.Height, s) || _info is null)
        {
            // Sizes change only with the setting or the frame: the arithmetic (and its strings) are made here, once.
            _sized = (frame.Width, frame.Height, s);
            try
            {
                _info = new KernelsResult(s, FeatureMapFilter.Arithmetic(frame.Height, frame.Width, s.Filter), null);
            }
            catch (ArgumentException e)
            {
                _info = new KernelsResult(s, null, e.Message);
            }
        }

        var info = _info;
        slot.Kernels = info;
        var mapPixels = info.Arithmetic is { } a ? a.PooledW * a.PooledH : 0;
        slot.Prepare(frame, mapPixels);
        slot.PreprocessMs = slot.PackMs = 0;
        if (info.Arithmetic is null)
        {
            slot.MapWidth = slot.MapHeight = 0;
            return;
        }

        var change = _map.Run(frame.Pixels, frame.Width, frame.Height, s, slot.MapValues, slot.DiffValues);
        slot.MapWidth = info.Arithmetic.PooledW;
        slot.MapHeight = info.Arithmetic.PooledH;
        slot.Change = change;
        Colour(slot.MapValues.AsSpan(0, mapPixels), slot.Rgba.AsSpan(0, mapPixels * 4));
        if (s.Shift > 0)
        {
            Colour(slot.DiffValues.AsSpan(0, mapPixels), slot.DiffRgba.AsSpan(0, mapPixels * 4));
        }

        slot.ForwardMs = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }

    public void Dispose() => _map.Dispose();

    /// <summary>Signed values to the diverging colormap (warm positive, cool negative, black zero), scaled by max |v|.</summary>
    private static void Colour(ReadOnlySpan<float> values, Span<byte> rgba)
    {
        var max = 1e-6f;
        foreach (var v in values)
        {
            max = MathF.Max(max, MathF.Abs(v));
        }

        var pixels = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(rgba);
        for (var i = 0; i < values.Length; i++)
        {
            pixels[i] = Colormap.Diverging(values[i], 1f / max);
        }
    }
}

/// <summary>The setting a kernels frame was made with, its arithmetic, or why it does not fit the frame.</summary>
internal sealed record KernelsResult(KernelViewSettings Settings, FilterArithmetic? Arithmetic, string? Error);

/// <summary>A model on every frame: device preprocessing, the network, every tapped layer packed into the atlas.</summary>
internal sealed class ModelPipeline(LiveModel model, LiveTraining? training, ExplainSwitch? explain = null, UnitStudy? study = null, float? modelNotSureBelow = null) : IFramePipeline
{
    private readonly UnitStudyStage? _study = study is null ? null : new UnitStudyStage(model, study);
    private float[] _heat = [];

    public LiveModel Model { get; } = model;

    /// <summary>Capture and fine-tuning, or null where the model cannot be cut into a backbone.</summary>
    public LiveTraining? Training { get; } = training;

    /// <summary>Which explanation each frame gets (shared with the view), or null for none ever.</summary>
    public ExplainSwitch? Explain { get; } = explain;

    /// <summary>The selected unit's top-9 and wants (shared with the view), or null for none.</summary>
    public UnitStudy? Study { get; } = study;

    /// <summary>What a unit wants as it stands (for the stats, once the loops stopped), or null when off.</summary>
    public (string Unit, int Steps, float Activation)? WantsState => _study?.State;

    public string Describe => $"model {Model.Name}";

    /// <summary>The model's own "not sure" threshold (a trained head loaded with --model), or null.</summary>
    public float? ModelNotSureBelow { get; } = modelNotSureBelow;

    /// <summary>Frames answered with a class and "not sure", under a threshold (inference thread; read once the loops stopped).</summary>
    public (int Classes, int NotSure) Answers { get; private set; }

    /// <summary>Frames whose network output held a NaN or an infinity, and good frames since the last of them
    /// (inference thread; read once the loops stopped).</summary>
    public (int Frames, int GoodAfter, int Recovered, bool LastBad) NonFinite { get; private set; }

    public FrameResult CreateResult() => new ModelFrameResult();

    public void Process(VideoFrame frame, FrameResult result)
    {
        var slot = (ModelFrameResult)result;
        slot.Prepare(frame, Model.AtlasWidth * Model.AtlasHeight, Model.OutputLength);
        var times = Model.Run(slot.Frame.Pixels, slot.Frame.Width, slot.Frame.Height, slot.Atlas.AsSpan(0, Model.AtlasWidth * Model.AtlasHeight), slot.Output.AsSpan(0, Model.OutputLength));
        (slot.PreprocessMs, slot.ForwardMs, slot.PackMs) = (times.Preprocess, times.Forward, times.Pack);
        slot.NonFinite = !IsFinite(slot.Output.AsSpan(0, Model.OutputLength));
        if (slot.NonFinite)
        {
            // Nothing is learned, captured, explained or kept from a frame the network could not read (a top-9 or a
            // sample of NaNs would poison what follows); the window says so, and the next good frame is whole again.
            NonFinite = (NonFinite.Frames + 1, 0, NonFinite.Recovered, true);
            Array.Fill(slot.Top, -1);
            Array.Clear(slot.TopProbabilities);
            (slot.NetworkTop, slot.HeatWidth, slot.HeatHeight, slot.ExplainMs, slot.ClassNames, slot.NotSureBelow) = (-1, 0, 0, 0, null, 0f);
            (slot.MapX, slot.MapY, slot.GridSide, slot.GridCount) = (float.NaN, float.NaN, 0, 0);
            Training?.AfterUnusableFrame(); // keys, T, Esc and a run in progress go on; captures wait for a good frame
            _study?.AfterFrame(slot); // saves and the ascent of what a unit wants need no frame
            return;
        }

        NonFinite = NonFinite.Frames > 0 ? (NonFinite.Frames, NonFinite.GoodAfter + 1, NonFinite.Recovered + (NonFinite.LastBad ? 1 : 0), false) : NonFinite;
        Classification.Top(slot.Output.AsSpan(0, Model.OutputLength), slot.Top, slot.TopProbabilities);
        ExplainTopClass(slot);
        slot.NetworkTop = slot.Top[0];
        _study?.Track(slot); // before training, which may run stored samples through the same network
        var head = Training is not null && Training.AfterFrame(slot.Frame.Pixels, slot.Frame.Width, slot.Frame.Height, slot.Top, slot.TopProbabilities);
        slot.ClassNames = head ? Training!.HeadLabels : null;
        slot.NotSureBelow = head ? Training!.NotSureBelow : ModelNotSureBelow ?? 0f;
        (slot.MapX, slot.MapY) = Training?.MapPoint ?? (float.NaN, float.NaN);
        if (slot.NotSureBelow > 0)
        {
            Answers = slot.TopProbabilities[0] < slot.NotSureBelow ? (Answers.Classes, Answers.NotSure + 1) : (Answers.Classes + 1, Answers.NotSure);
        }
        _study?.AfterFrame(slot); // last: its ascent steps run the network on another picture
    }

    public void Dispose()
    {
        _study?.Dispose();
        Training?.Dispose();
        Model.Dispose();
    }

    /// <summary>After a device failure: releases what belongs to this model (its unit-study stage and the model);
    /// the training, the explanation switch and the study live on in the pipeline that replaces this one.</summary>
    public void ReleaseModel()
    {
        _study?.Dispose();
        Model.Dispose();
    }

    private static bool IsFinite(ReadOnlySpan<float> values)
    {
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The network's top class explained by the method switched on, as 8-bit heat in the slot (before a
    /// trained head replaces the top five); the backward pass runs here, after the forward, on the device.</summary>
    private void ExplainTopClass(ModelFrameResult slot)
    {
        slot.HeatWidth = slot.HeatHeight = 0;
        slot.ExplainMs = 0;
        if (Explain?.Method is not { } method || slot.Top[0] < 0)
        {
            return;
        }

        var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_heat.Length < Model.ExplanationLength)
        {
            _heat = new float[Model.ExplanationLength];
        }

        int w, h;
        try
        {
            (w, h) = Explain.Unit is { } unit ? Model.ExplainUnit(method, unit.Value, unit.Channel, unit.Position, _heat)
                : Model.Explain(method, Explain.Class >= 0 && Explain.Class < Model.OutputLength ? Explain.Class : slot.Top[0], _heat);
        }
        catch (Engine.Graph.ModelException e)
        {
            // A view this model cannot give (Grad-CAM without a convolution, say) is switched off, not the run.
            Explain.Fail(method, $"{ExplainMethods.Names[(int)method]}: {e.Message}");
            return;
        }

        var bytes = slot.HeatFor(w * h);
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(_heat[i] * 255f);
        }

        (slot.HeatWidth, slot.HeatHeight) = (w, h);
        slot.ExplainMs = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }
}
