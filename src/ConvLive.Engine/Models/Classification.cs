// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Models;

/// <summary>A classifier's output turned into answers: the one place top-k, arg-max and the softmax of scores live
/// (the live view, the trained head, <c>bench</c> and <c>explain</c> all use it).</summary>
public static class Classification
{
    /// <summary>The index of the largest value (the first, on a tie).</summary>
    /// <param name="values">At least one value.</param>
    /// <returns>The index.</returns>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("no values to choose from", nameof(values));
        }

        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }

    /// <summary>
    /// The <c>top.Length</c> largest outputs, best first, as probabilities: the outputs themselves when they already
    /// form a distribution (none negative, summing to 1 within 1e-3: a Softmax output or a trained head's), else
    /// their softmax (scores, logits). Places past the number of outputs get index −1 and probability 0. Allocates nothing.
    /// </summary>
    /// <param name="output">The outputs of one input.</param>
    /// <param name="top">Receives the indices.</param>
    /// <param name="probabilities">Receives their probabilities; as long as <paramref name="top"/>.</param>
    public static void Top(ReadOnlySpan<float> output, Span<int> top, Span<float> probabilities)
    {
        if (probabilities.Length != top.Length)
        {
            throw new ArgumentException($"{top.Length} places but {probabilities.Length} probabilities", nameof(probabilities));
        }

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

        top.Fill(-1);
        probabilities.Fill(float.NegativeInfinity);
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

        for (var k = 0; k < top.Length; k++)
        {
            if (top[k] < 0)
            {
                probabilities[k] = 0f;
            }
        }
    }
}
