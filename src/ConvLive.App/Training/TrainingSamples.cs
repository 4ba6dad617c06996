// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using ConvLive.Capture;
using ConvLive.Engine.Live;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Training;

namespace ConvLive.App.Training;

/// <summary>
/// The samples of the nine capture keys with their backbone features: those captured live (features read where the
/// network left them) and those already on disk (their features computed a few per frame within a time budget).
/// </summary>
/// <remarks>Owns the sample store. Inference thread, except the store's background writes.</remarks>
internal sealed class TrainingSamples
{
    private readonly List<(int Label, string Path, float[]? Features, float[][]? Views)>[] _samples;
    private int _lastCaptured = -1;
    private ViewWork? _work;

    public TrainingSamples(string root, IReadOnlyList<string> classes)
    {
        Store = new SampleStore(root, LiveTraining.Names(classes));
        _samples = Enumerable.Range(0, 9).Select(k => Store.Files(k).Select(f => (k, f, (float[]?)null, (float[][]?)null)).ToList()).ToArray();
    }

    /// <summary>Where the pictures are kept.</summary>
    public SampleStore Store { get; }

    /// <summary>Changes whenever a sample is added or removed or gets its features.</summary>
    public int Version { get; private set; }

    /// <summary>Every sample that has its features: its key and the features (for the map).</summary>
    public IEnumerable<(int Key, float[] Features)> WithFeatures() =>
        _samples.SelectMany(list => list.Where(s => s.Features is not null).Select(s => (s.Label, s.Features!)));

    /// <summary>Samples of key k (0-based).</summary>
    public int Count(int k) => _samples[k].Count;

    /// <summary>Keeps a captured frame and its features under key <paramref name="k"/>.</summary>
    public void Add(int k, ReadOnlySpan<byte> bgr, int width, int height, float[] features)
    {
        var path = Store.Add(k, bgr, width, height);
        _samples[k].Add((k, path, features, null));
        _lastCaptured = k;
        Version++;
    }

    /// <summary>Removes the last captured sample; false when there is none.</summary>
    public bool RemoveLast()
    {
        if (_lastCaptured < 0 || _samples[_lastCaptured].Count == 0)
        {
            return false;
        }

        _samples[_lastCaptured].RemoveAt(_samples[_lastCaptured].Count - 1);
        Version++;
        Store.RemoveLast(_lastCaptured);
        return true;
    }

    /// <summary>The samples of <paramref name="keys"/>, labelled by their position in it (features must be ready
    /// unless <paramref name="featuresNeeded"/> is false: then only paths and labels count).</summary>
    public List<LabeledFeatures> Labelled(int[] keys, bool featuresNeeded = true) =>
        keys.SelectMany((k, label) => _samples[k].Select(s => new LabeledFeatures(s.Features ?? (featuresNeeded ? throw new InvalidOperationException($"{s.Path} has no features yet") : []), label, s.Path, s.Views is { Length: > 0 } v ? v : null))).ToList();

    /// <summary>Drops every sample's features and views (the backbone changed): they are computed again from the files.</summary>
    public void ForgetFeatures()
    {
        foreach (var list in _samples)
        {
            for (var i = 0; i < list.Count; i++)
            {
                list[i] = list[i] with { Features = null, Views = null };
            }
        }

        _work = null;
        Version++;
    }

    /// <summary>Computes features of samples loaded from disk until <paramref name="budgetMs"/> has passed since
    /// <paramref name="started"/>; a file that no longer decodes is dropped.</summary>
    /// <returns>How many still lack features.</returns>
    public int ComputeStoredFeatures(FeatureExtractor features, long started, double budgetMs)
    {
        var missing = 0;
        foreach (var list in _samples)
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i].Features is not null)
                {
                    continue;
                }

                if (Stopwatch.GetElapsedTime(started).TotalMilliseconds > budgetMs)
                {
                    missing++;
                    continue;
                }

                var pixels = ImageFile.DecodeBgr(list[i].Path, out var w, out var h);
                Version++;
                if (pixels is null)
                {
                    list.RemoveAt(i--);
                    continue;
                }

                var f = new float[features.FeatureLength];
                features.Extract(pixels, w, h, f);
                list[i] = (list[i].Label, list[i].Path, f, null);
            }
        }

        return missing;
    }

    /// <summary>Computes the augmented views of the samples of <paramref name="keys"/> that lack them, through the
    /// live model, until <paramref name="budgetMs"/> has passed since <paramref name="started"/> (a picture that does
    /// not decode trains on its plain features only). Views are drawn from a seed of the picture's path, so a picture
    /// gets the same views every time.</summary>
    /// <returns>How many samples still lack views.</returns>
    public int ComputeViews(LiveModel model, string value, int[] keys, AugmentPolicy policy, long started, double budgetMs)
    {
        var missing = 0;
        foreach (var k in keys)
        {
            var list = _samples[k];
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i].Views is not null)
                {
                    continue;
                }

                // A picture's views may take several frames: the budget is checked before each view, and the
                // picture and the views done so far wait in _work for the next frame.
                if (_work is null || _work.Path != list[i].Path)
                {
                    if (Stopwatch.GetElapsedTime(started).TotalMilliseconds > budgetMs)
                    {
                        missing++;
                        continue;
                    }

                    var pixels = ImageFile.DecodeBgr(list[i].Path, out var w, out var h);
                    _work = new ViewWork(list[i].Path, pixels, w, h, new Random(StableSeed.Of(list[i].Path)), pixels is null ? default : model.PreprocessFor(w, h), new float[pixels is null ? 0 : policy.Views - 1][]);
                }

                var work = _work;
                while (work.Done < work.Views.Length && Stopwatch.GetElapsedTime(started).TotalMilliseconds <= budgetMs)
                {
                    var view = new float[list[i].Features!.Length];
                    model.RunViewAndRead(work.Bgr!, work.Width, work.Height, policy.Draw(work.Done + 1, work.Params, work.Random), value, view);
                    work.Views[work.Done++] = view;
                }

                if (work.Done < work.Views.Length)
                {
                    missing++;
                    continue;
                }

                list[i] = list[i] with { Views = work.Views };
                _work = null;
            }
        }

        return missing;
    }

    /// <summary>A picture whose views are being computed across frames.</summary>
    private sealed record ViewWork(string Path, byte[]? Bgr, int Width, int Height, Random Random, PreprocessParams Params, float[][] Views)
    {
        public int Done { get; set; }
    }

    /// <summary>Views computed so far, over the samples of <paramref name="keys"/>.</summary>
    public int ViewCount(int[] keys) => keys.Sum(k => _samples[k].Sum(s => s.Views?.Length ?? 0));

    /// <summary>One status line a key that has samples (and keys 1–3 always).</summary>
    public IEnumerable<string> CountLines()
    {
        for (var k = 0; k < 9; k++)
        {
            if (_samples[k].Count > 0 || k < 3)
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"{k + 1} {Store.Classes[k]}: {_samples[k].Count}");
            }
        }
    }
}
