// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Capture;
using ConvLive.Engine.Training;

namespace ConvLive.App.Training;

/// <summary>
/// The backbone features of a folder's pictures and of their augmented views: each picture decoded once, its views
/// drawn from a seed of its own (the same views every run), and the views of consecutive pictures run through the
/// backbone a batch at a time. Only features are kept, never the pictures; with a cache, a picture already in it is
/// not decoded at all, and each picture done goes into it at once (an interrupted run resumes there).
/// </summary>
internal sealed class ViewFeatures(IViewFeatures extractor, AugmentPolicy policy, int seed, FeatureCache? cache = null)
{
    private IReadOnlyList<ImageSample> _samples = [];
    private (long Size, long Ticks)[] _stamps = [];
    private FeatureCache? _cache = cache;

    private readonly List<PictureView> _pending = [];
    private readonly List<(int Sample, int View)> _slots = [];
    private float[] _batch = [];
    private Action<string>? _warn;

    /// <summary>Computes every picture's features (null where a picture does not decode).</summary>
    /// <param name="samples">The pictures.</param>
    /// <param name="views">Views per picture (1: only the plain one).</param>
    /// <param name="progress">Called after each picture with (done, total).</param>
    /// <param name="warn">Called with a line for each picture skipped.</param>
    /// <param name="cancel">Stops between pictures.</param>
    /// <returns>One entry per sample, in order: its plain features then its views, or null.</returns>
    public LabeledFeatures?[] Compute(IReadOnlyList<ImageSample> samples, int views, Action<int, int>? progress, Action<string> warn, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(warn);
        _warn = warn;
        var length = extractor.FeatureLength;
        _batch = new float[extractor.Batch * length];
        _samples = samples;
        _stamps = new (long, long)[samples.Count];
        var results = new float[samples.Count][][];
        for (var i = 0; i < samples.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            if (_cache is not null && _cache.TryGet(samples[i].Path, out var cached) && cached.Length == views)
            {
                results[i] = cached;
                progress?.Invoke(i + 1, samples.Count);
                continue;
            }

            var stamp = new FileInfo(samples[i].Path); // before decoding: an edit during the run is not cached as current
            _stamps[i] = stamp.Exists ? (stamp.Length, stamp.LastWriteTimeUtc.Ticks) : (-1, -1);
            var bgr = ImageFile.DecodeBgr(samples[i].Path, out var w, out var h);
            if (bgr is null || w < 8 || h < 8)
            {
                warn(bgr is null ? $"{samples[i].Path}: not a picture OpenCV can decode; skipped" : $"{samples[i].Path}: {w}x{h} is too small to train on (8x8 at least); skipped");
                continue;
            }

            results[i] = new float[views][];
            // Seeded by the picture's class folder and name (not its place in the list, not HashCode, which differs
            // between processes): the same picture gets the same views in every run, with or without the cache.
            var random = new Random(unchecked((seed * 1_000_003) + StableSeed.Of(samples[i].Path)));
            var p = extractor.PreprocessFor(w, h);
            for (var v = 0; v < views; v++)
            {
                results[i][v] = new float[length];
                _pending.Add(new PictureView(bgr, w, h, policy.Draw(v, p, random)));
                _slots.Add((i, v));
                if (_pending.Count == extractor.Batch)
                {
                    Flush(results);
                }
            }

            progress?.Invoke(i + 1, samples.Count);
        }

        Flush(results);
        return samples.Select((s, i) => results[i] is { } r ? new LabeledFeatures(r[0], s.Label, s.Path, r.Length > 1 ? r[1..] : null) : null).ToArray();
    }

    private void Flush(float[][][] results)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var length = extractor.FeatureLength;
        extractor.ExtractViews(_pending.ToArray(), _batch);
        for (var k = 0; k < _slots.Count; k++)
        {
            var (sample, view) = _slots[k];
            _batch.AsSpan(k * length, length).CopyTo(results[sample][view]);
            if (view == results[sample].Length - 1 && _cache is not null)
            {
                try
                {
                    _cache.Add(_samples[sample].Path, results[sample], _stamps[sample]); // the picture's last view: it is done
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _warn?.Invoke($"{_cache.Path}: cannot write there any more ({e.Message}); going on without the cache");
                    _cache = null;
                }
            }
        }

        _pending.Clear();
        _slots.Clear();
    }
}
