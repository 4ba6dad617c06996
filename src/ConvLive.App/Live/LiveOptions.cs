// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;

namespace ConvLive.App.Live;

/// <summary>What <c>convlive live</c> was asked to do.</summary>
/// <param name="Sources">The <c>--source</c> specs (Tab cycles them); empty to try camera 0, then synthetic.</param>
/// <param name="Model">alexnet, resnet18-features, a manifest name or an .onnx path; "none" for the edge view;
/// null for AlexNet when present, else ResNet-18 features.</param>
/// <param name="Device">The <c>--device</c> kind.</param>
/// <param name="Headless">Render offscreen through EGL instead of opening a window.</param>
/// <param name="Frames">Stop after this many displayed frames (0: run until closed).</param>
/// <param name="Screenshot">Write the last frame to this PNG, or null.</param>
/// <param name="StatsPath">Write run statistics to this JSON file, or null.</param>
/// <param name="Width">Window or framebuffer width, pixels.</param>
/// <param name="Height">Window or framebuffer height, pixels.</param>
/// <param name="MaxFps">Display rate cap; 0 means vsync (at most 144) in a window and 60 headless.</param>
/// <param name="Samples">Where keys 1–9 store captured samples (an ImageFolder) and the trained head goes.</param>
/// <param name="Classes">Names of classes 1–9 (default: the folders already there, then class1…).</param>
/// <param name="Kernels">Custom kernels (from --kernel files) added to the kernels view's cycle.</param>
/// <param name="Duration">Stop after this many seconds (0: no limit).</param>
/// <param name="SampleEvery">Seconds between resource samples in the stats (memory, GL objects, device buffers).</param>
/// <param name="Compute">How the backend runs: <c>--fc-weights</c>, and the tunables read from the environment at start
/// (<see cref="Cli.CommonOptions.ComputeFromEnvironment"/>); null for the defaults.</param>
/// <param name="FaultAfterFrames">Fail the accelerator at this inference frame (tests; 0: never).</param>
/// <param name="Explain">The explanation view shown from the start (<c>--explain</c>; key E cycles), or null.</param>
/// <param name="TrainOnStart">Train a head on the stored samples as soon as the loop starts (a <c>--frames</c> run then also waits for it).</param>
internal sealed record LiveOptions(
    IReadOnlyList<string> Sources,
    string? Model,
    DeviceKind Device,
    bool Headless,
    int Frames,
    string? Screenshot,
    string? StatsPath,
    int Width,
    int Height,
    double MaxFps,
    string Samples,
    IReadOnlyList<string> Classes,
    bool TrainOnStart,
    IReadOnlyList<Engine.Vision.Kernel2D> Kernels,
    double Duration = 0,
    double SampleEvery = 10,
    BackendOptions? Compute = null,
    int FaultAfterFrames = 0,
    Engine.Explain.ExplainMethod? Explain = null)
{
    /// <summary>The layer and channel selected from the start (<c>--select</c>), or null for the first layer.</summary>
    public Cli.UnitSpec? Select { get; init; }

    /// <summary>What a unit wants, drawn from the start (<c>--wants</c>; key W), or null.</summary>
    public WantsTarget? Wants { get; init; }

    /// <summary>Record the window to this .mp4/.avi from the start (<c>--record</c>; key R starts and stops), or null.</summary>
    public string? Record { get; init; }

    /// <summary>Seconds between training runs started on the stored samples (<c>--train-every</c>; 0: none).</summary>
    public double TrainEvery { get; init; }

    /// <summary>The size at which a recording stops, bytes (<c>--record-max-mb</c>).</summary>
    public long RecordMaxBytes { get; init; } = 4000L * 1024 * 1024;

    /// <summary>Each resource sample collects garbage first, so its heap figure is what is live (<c>--sample-gc</c>; a pause each time).</summary>
    public bool SampleCollects { get; init; }

    /// <summary>The live trainer trains on augmented views of each sample too (<c>--augment</c>).</summary>
    public bool Augment { get; init; } = true;

    /// <summary>The map of the samples is shown from the start (<c>--map</c>; V toggles it).</summary>
    public bool ShowMap { get; init; }

    /// <summary>After the head trains (<c>--train</c>), fine-tune the backbone's last convolution (<c>--fine-tune</c>; key G).</summary>
    public bool FineTuneOnStart { get; init; }
}
