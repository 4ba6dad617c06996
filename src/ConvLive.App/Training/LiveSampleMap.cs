// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Training;

namespace ConvLive.App.Training;

/// <summary>One captured sample on the map.</summary>
/// <param name="X">Along the first principal axis.</param>
/// <param name="Y">Along the second.</param>
/// <param name="Key">Its class key, 0-based.</param>
/// <param name="Wrong">The trained head gives it another class.</param>
internal readonly record struct MapPoint(float X, float Y, int Key, bool Wrong);

/// <summary>What the map panel draws: the samples' points and the extent to scale them into; replaced, not mutated.</summary>
/// <param name="Points">Every sample with features.</param>
/// <param name="MinX">Left of the extent.</param>
/// <param name="MaxX">Right.</param>
/// <param name="MinY">Bottom.</param>
/// <param name="MaxY">Top.</param>
/// <param name="Caption">One line: how many samples, and how many the head gets wrong.</param>
/// <param name="Keys">The class keys that have points, in order (for the legend).</param>
internal sealed record SampleMapPicture(IReadOnlyList<MapPoint> Points, float MinX, float MaxX, float MinY, float MaxY, string Caption, IReadOnlyList<int> Keys);

/// <summary>
/// The live map of the samples: the captured samples' backbone features projected on their first two principal
/// axes (refitted on the inference thread when the samples or the head change, only while the map is shown), the
/// samples the trained head gets wrong marked, and each frame's features placed among them — where the classes
/// overlap, and where the camera's view falls, as the picture moves.
/// </summary>
/// <remarks>Shown is set by the render thread; the rest runs on the inference thread; the picture is published whole.</remarks>
internal sealed class LiveSampleMap
{
    private volatile bool _shown;
    private volatile SampleMapPicture? _picture;
    private SampleMap? _map;
    private int _fittedVersion = -1;
    private float[] _frame = [];
    private long _fittedAt;
    private static readonly TimeSpan RefitEvery = TimeSpan.FromSeconds(0.5);

    /// <summary>The map is drawn (render thread sets it; V toggles it).</summary>
    public bool Shown
    {
        get => _shown;
        set => _shown = value;
    }

    /// <summary>The latest picture, or null before two samples have features.</summary>
    public SampleMapPicture? Picture => _picture;

    /// <summary>Inference thread: refits when the samples changed (version) and places the frame.</summary>
    /// <param name="samples">The samples.</param>
    /// <param name="version">Changes whenever the samples, their features or the head change.</param>
    /// <param name="predict">The head's class for a feature vector (in key numbers), or null without a head.</param>
    /// <param name="backend">Where the frame's features are.</param>
    /// <param name="frameFeatures">The frame's features on the device.</param>
    /// <returns>The frame's point, or null when the map is hidden or has no fit.</returns>
    public (float X, float Y)? Update(TrainingSamples samples, int version, Func<float[], int>? predict, IBackend backend, DeviceTensor frameFeatures)
    {
        if (!_shown)
        {
            return null;
        }

        // A refit passes over every sample's features: at most twice a second while samples change (a capture
        // burst, features computed after loading or fine-tuning); the frame is placed with the last fit meanwhile.
        if (version != _fittedVersion && (_map is null || Stopwatch.GetElapsedTime(_fittedAt) >= RefitEvery))
        {
            _fittedVersion = version;
            _fittedAt = Stopwatch.GetTimestamp();
            Fit(samples, predict);
        }

        if (_map is null || frameFeatures.Length != _map.Dimensions)
        {
            return null;
        }

        if (_frame.Length != frameFeatures.Length)
        {
            _frame = new float[frameFeatures.Length];
        }

        backend.Download(_frame, frameFeatures);
        return _map.Project(_frame);
    }

    private void Fit(TrainingSamples samples, Func<float[], int>? predict)
    {
        var known = samples.WithFeatures().ToList();
        if (known.Count < 2)
        {
            (_map, _picture) = (null, null);
            return;
        }

        var map = SampleMap.Fit(known.Select(s => s.Features).ToList());
        var points = known.Select(s =>
        {
            var (x, y) = map.Project(s.Features);
            return new MapPoint(x, y, s.Key, predict is not null && predict(s.Features) != s.Key);
        }).ToList();
        float minX = points.Min(p => p.X), maxX = points.Max(p => p.X), minY = points.Min(p => p.Y), maxY = points.Max(p => p.Y);
        var total = map.Variance.Sum();
        var caption = string.Create(CultureInfo.InvariantCulture, $"{known.Count} samples (PCA){(predict is null ? string.Empty : $", {points.Count(p => p.Wrong)} wrong")}");
        _map = map;
        _picture = new SampleMapPicture(points, minX, maxX, minY, maxY, total > 0 ? caption : caption + " (all alike)", points.Select(p => p.Key).Distinct().Order().ToList());
    }
}
