// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Text.Json;
using System.Text.Json.Serialization;

namespace ConvLive.Engine.Models;

/// <summary>How a model wants its image: size, channel order and normalisation, (pixel·scale − mean) / std.</summary>
public sealed record InputSpec
{
    /// <summary>The graph input's name, when the manifest pins it.</summary>
    public string? Name { get; init; }

    /// <summary>Tensor layout; always NCHW here.</summary>
    public string Layout { get; init; } = "NCHW";

    /// <summary>Side of the square network input, pixels.</summary>
    public int Size { get; init; } = 224;

    /// <summary>Shorter side the frame is resized to before the centre crop of <see cref="Size"/>.</summary>
    public int Resize { get; init; } = 224;

    /// <summary>RGB or BGR.</summary>
    public string Channels { get; init; } = "RGB";

    /// <summary>The channel order the network itself sees, when a preprocessing graph reorders them (ResNet-18's
    /// turns RGB into BGR); null when it is <see cref="Channels"/>. Used to show the input as the network sees it.</summary>
    public string? NetworkChannels { get; init; }

    /// <summary>Multiplies 0–255 pixels first.</summary>
    public float Scale { get; init; } = 1f;

    /// <summary>Per-channel mean, in the manifest's channel order.</summary>
    public float[] Mean { get; init; } = [0, 0, 0];

    /// <summary>Per-channel standard deviation, in the manifest's channel order.</summary>
    public float[] Std { get; init; } = [1, 1, 1];

    /// <summary>The network input of an RGB picture already at (1,3,size,size) in [0,1]: channel order, scale, mean
    /// and std as this spec defines them, the normalisation the Preprocess kernels apply after resampling and the
    /// classifier export encodes (the export check compares the two through this).</summary>
    /// <param name="rgb01">(1,3,size,size) RGB values in [0,1].</param>
    /// <param name="size">The picture's side.</param>
    /// <returns>(1,3,size,size) network input values.</returns>
    public float[] Normalise(ReadOnlySpan<float> rgb01, int size)
    {
        var plane = size * size;
        var bgr = string.Equals(Channels, "BGR", StringComparison.OrdinalIgnoreCase);
        var x = new float[3 * plane];
        for (var c = 0; c < 3; c++)
        {
            var src = bgr ? 2 - c : c;
            for (var i = 0; i < plane; i++)
            {
                x[(c * plane) + i] = ((rgb01[(src * plane) + i] * 255f * Scale) - Mean[c]) / Std[c];
            }
        }

        return x;
    }
}

/// <summary>A model's manifest (models/*.json): where it comes from, how to check it, how to feed it.</summary>
public sealed record ModelManifest
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly JsonSerializerOptions WriteOptions = new(Options) { WriteIndented = true };

    /// <summary>The name <c>--model</c> and <c>models get</c> take.</summary>
    public required string Name { get; init; }

    /// <summary>One line for <c>models list</c>.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>The model file, relative to a models folder.</summary>
    public required string File { get; init; }

    /// <summary>A preprocessing graph run before the model, relative to a models folder, or null.</summary>
    public string? Preprocess { get; init; }

    /// <summary>Where <c>models get</c> downloads it from (https), or a note on how it arrives.</summary>
    public string? Source { get; init; }

    /// <summary>The file's exact size, when known.</summary>
    public long? Bytes { get; init; }

    /// <summary>The file's SHA-256 in hex, when known.</summary>
    public string? Sha256 { get; init; }

    /// <summary>How to feed it.</summary>
    public InputSpec Input { get; init; } = new();

    /// <summary>Class names file (one a line, output order), relative to a models folder, or null.</summary>
    public string? Labels { get; init; }

    /// <summary>For a classifier ConvLive trained: a top probability below this is answered "not sure" instead of
    /// a class (calibrated by <c>train</c> on its held-out pictures); null for models that never say so.</summary>
    public float? NotSureBelow { get; init; }

    /// <summary>What training measured, for a classifier ConvLive trained; null otherwise.</summary>
    public TrainingSummary? Training { get; init; }

    /// <summary>True when <see cref="Source"/> is a URL <c>models get</c> can fetch.</summary>
    public bool IsDownloadable => Source is not null && (Source.StartsWith("https://", StringComparison.Ordinal) || Source.StartsWith("http://", StringComparison.Ordinal));

    /// <summary>Reads a manifest file.</summary>
    /// <param name="path">A models/*.json file.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="InvalidDataException">Not valid manifest JSON; the message names the file.</exception>
    public static ModelManifest Read(string path)
    {
        ModelManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(System.IO.File.ReadAllText(path), Options)
                ?? throw new InvalidDataException($"{path}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid model manifest ({e.Message})", e);
        }

        return manifest.Check(path);
    }

    /// <summary>Refuses what JSON allows but a model cannot use (a value the preprocessing would index past, divide
    /// by or allocate from), naming the field, so a damaged file fails here in one line and never later mid-frame.</summary>
    private ModelManifest Check(string path)
    {
        string? problem = null;
        var input = Input;
        if (string.IsNullOrWhiteSpace(Name) || string.IsNullOrWhiteSpace(File))
        {
            problem = "\"name\" and \"file\" must be given";
        }
        else if (input is null)
        {
            problem = "\"input\" must be an object";
        }
        else if (input.Size is < 1 or > 4096 || input.Resize is < 1 or > 8192)
        {
            problem = $"input size {input.Size} and resize {input.Resize} must be 1..4096 and 1..8192";
        }
        else if (input.Mean is not { Length: 3 } || input.Std is not { Length: 3 } || input.Mean.Any(m => !float.IsFinite(m)) || input.Std.Any(d => !float.IsFinite(d) || d == 0))
        {
            problem = "input mean and std need 3 finite numbers each, std none zero";
        }
        else if (!float.IsFinite(input.Scale) || input.Channels is null || !(input.Channels.Equals("RGB", StringComparison.OrdinalIgnoreCase) || input.Channels.Equals("BGR", StringComparison.OrdinalIgnoreCase)))
        {
            problem = "input scale must be a finite number and channels RGB or BGR";
        }
        else if (NotSureBelow is { } t && !(t >= 0 && float.IsFinite(t)))
        {
            problem = $"notSureBelow {t} must be a number from 0 (above 1: never sure)";
        }

        return problem is null ? this : throw new InvalidDataException($"{path}: not a usable model manifest: {problem}");
    }

    /// <summary>Writes the manifest atomically (what <c>train</c> leaves beside an exported model, so
    /// <c>live --model HEAD.onnx</c> knows its preprocessing and labels).</summary>
    /// <param name="path">The .json file.</param>
    public void Write(string path) =>
        IO.AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this, WriteOptions));
}
