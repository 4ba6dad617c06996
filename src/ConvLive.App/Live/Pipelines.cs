// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Training;
using ConvLive.Capture;
using ConvLive.Engine.Live;
using ConvLive.Engine.Vision;

namespace ConvLive.App.Live;

/// <summary>What the inference thread does with each frame.</summary>
internal interface IFramePipeline : IDisposable
{
    /// <summary>The model or filter, for titles and stats.</summary>
    string Describe { get; }

    /// <summary>Runs <paramref name="frame"/> into <paramref name="slot"/>; inference thread only.</summary>
    void Process(VideoFrame frame, FrameResult slot);
}

/// <summary>The lecture's edge kernels on the grey frame (issue 2's view; the kernels view grows from it).</summary>
internal sealed class EdgePipeline(IFrameFilter filter, KernelChoice choice) : IFramePipeline
{
    public KernelChoice Choice { get; } = choice;

    public string Describe => $"edge kernel {filter.Kernel}";

    public void Process(VideoFrame frame, FrameResult slot)
    {
        var k = Choice.Current;
        if (!ReferenceEquals(filter.Kernel, k))
        {
            filter.Kernel = k;
        }

        slot.Prepare(frame, frame.Width * frame.Height * 4, 0, 0);
        slot.KernelName = k.Name;
        var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        filter.Run(slot.Frame.Pixels, slot.Frame.Width, slot.Frame.Height, slot.RgbaPixels, []);
        slot.ForwardMs = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        slot.PreprocessMs = slot.PackMs = 0;
    }

    public void Dispose() => filter.Dispose();
}

/// <summary>The kernel the edge view applies; set on the render thread, read on the inference thread.</summary>
internal sealed class KernelChoice
{
    private static readonly IReadOnlyList<Kernel2D> Cycle = Kernel2D.Named;
    private volatile Kernel2D _current = Kernel2D.Vertical;

    public Kernel2D Current => _current;

    /// <summary>Moves to the next of the lecture's kernels.</summary>
    public void Next() => _current = Cycle[(Cycle.ToList().IndexOf(_current) + 1) % Cycle.Count];
}

/// <summary>A model on every frame: device preprocessing, the network, every tapped layer packed into the atlas.</summary>
internal sealed class ModelPipeline(LiveModel model, LiveTraining? training) : IFramePipeline
{
    public LiveModel Model { get; } = model;

    /// <summary>Capture and fine-tuning, or null where the model cannot be cut into a backbone.</summary>
    public LiveTraining? Training { get; } = training;

    public string Describe => $"model {Model.Name}";

    public void Process(VideoFrame frame, FrameResult slot)
    {
        slot.Prepare(frame, 0, Model.AtlasWidth * Model.AtlasHeight, Model.OutputLength);
        var times = Model.Run(slot.Frame.Pixels, slot.Frame.Width, slot.Frame.Height, slot.Atlas.AsSpan(0, Model.AtlasWidth * Model.AtlasHeight), slot.Output.AsSpan(0, Model.OutputLength));
        (slot.PreprocessMs, slot.ForwardMs, slot.PackMs) = (times.Preprocess, times.Forward, times.Pack);
        TopClasses(slot.Output.AsSpan(0, Model.OutputLength), slot.Top, slot.TopProbabilities);
        slot.ClassNames = Training is not null && Training.AfterFrame(slot.Frame.Pixels, slot.Frame.Width, slot.Frame.Height, slot.Top, slot.TopProbabilities)
            ? Training.HeadLabels
            : null;
    }

    public void Dispose()
    {
        Training?.Dispose();
        Model.Dispose();
    }

    /// <summary>The five largest outputs as probabilities: softmax first when the output is not one already.</summary>
    internal static void TopClasses(ReadOnlySpan<float> output, int[] top, float[] probabilities)
    {
        var sum = 0.0;
        var max = float.NegativeInfinity;
        var isDistribution = true;
        foreach (var v in output)
        {
            sum += v;
            max = MathF.Max(max, v);
            isDistribution &= v >= 0;
        }

        isDistribution &= Math.Abs(sum - 1) < 1e-3;
        var expSum = 0.0;
        if (!isDistribution)
        {
            foreach (var v in output)
            {
                expSum += Math.Exp(v - max);
            }
        }

        Array.Fill(top, -1);
        Array.Fill(probabilities, float.NegativeInfinity);
        for (var i = 0; i < output.Length; i++)
        {
            var p = isDistribution ? output[i] : (float)(Math.Exp(output[i] - max) / expSum);
            for (var k = 0; k < top.Length; k++)
            {
                if (p > probabilities[k])
                {
                    for (var m = top.Length - 1; m > k; m--)
                    {
                        top[m] = top[m - 1];
                        probabilities[m] = probabilities[m - 1];
                    }

                    top[k] = i;
                    probabilities[k] = p;
                    break;
                }
            }
        }
    }
}
