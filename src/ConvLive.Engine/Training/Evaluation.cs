// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Training;

/// <summary>A classifier's answer for a feature vector: its class and that class's probability.</summary>
/// <param name="features">The features.</param>
/// <param name="confidence">The class's probability.</param>
/// <returns>The class index.</returns>
public delegate int Predictor(float[] features, out float confidence);

/// <summary>How well a classifier does on labelled features: accuracy, per class, the confusion matrix, and the
/// calibrated "not sure" threshold; the same figures whichever head and backbone made the predictions.</summary>
public static class Evaluation
{
    /// <summary>Share of <paramref name="samples"/> classified right (NaN for none).</summary>
    public static double Accuracy(IReadOnlyList<LabeledFeatures> samples, Predictor predict)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(predict);
        return samples.Count == 0 ? double.NaN : samples.Count(s => predict(s.Features, out _) == s.Label) / (double)samples.Count;
    }

    /// <summary>Share of each class's samples classified right (NaN for a class without samples).</summary>
    public static double[] PerClass(IReadOnlyList<LabeledFeatures> samples, int classes, Predictor predict)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return Enumerable.Range(0, classes).Select(k =>
        {
            var of = samples.Where(s => s.Label == k).ToList();
            return of.Count == 0 ? double.NaN : of.Count(s => predict(s.Features, out _) == k) / (double)of.Count;
        }).ToArray();
    }

    /// <summary>Confusion matrix: [true class, predicted class] counts.</summary>
    public static int[,] Confusion(IReadOnlyList<LabeledFeatures> samples, int classes, Predictor predict)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(predict);
        var m = new int[classes, classes];
        foreach (var s in samples)
        {
            m[s.Label, predict(s.Features, out _)]++;
        }

        return m;
    }

    /// <summary>
    /// The "not sure" threshold: the lowest top probability at which the samples and their views answered with at
    /// least that confidence are right <paramref name="precision"/> of the time, never below ½ (under it another
    /// class is nearly as likely); 0.99 when even the most confident answers miss that often; ½ for no samples.
    /// </summary>
    /// <param name="samples">Held-out samples (their views count too).</param>
    /// <param name="predict">The classifier.</param>
    /// <param name="precision">Wanted share of right answers among confident ones.</param>
    /// <returns>The threshold in [½, 0.99].</returns>
    public static float NotSureThreshold(IReadOnlyList<LabeledFeatures> samples, Predictor predict, double precision = 0.95)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(predict);
        var answers = samples.SelectMany(s => s.All.Select(f => (Right: predict(f, out var c) == s.Label, Confidence: c)))
            .OrderByDescending(a => a.Confidence).ToList();
        if (answers.Count == 0)
        {
            return 0.5f;
        }

        var threshold = 0.99f;
        var right = 0;
        for (var i = 0; i < answers.Count; i++)
        {
            right += answers[i].Right ? 1 : 0;
            var lastOfTie = i + 1 == answers.Count || answers[i + 1].Confidence < answers[i].Confidence;
            if (lastOfTie && right >= precision * (i + 1))
            {
                threshold = answers[i].Confidence;
            }
        }

        return Math.Clamp(threshold, 0.5f, 0.99f);
    }
}
