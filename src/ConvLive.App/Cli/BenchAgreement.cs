// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Models;

namespace ConvLive.App.Cli;

/// <summary>
/// A variant of the cpu engine against the first: top-1 agreement, the first's top-1 within its top-5, agreement of the
/// input-specific top-1 (each output minus its mean over all inputs: informative even when a network with random
/// weights gives every input the same class), and the largest output difference.
/// </summary>
internal sealed record Agreement(string Engine, int Inputs, int DistinctTop1, double Top1, double Top1InTop5, double InputSpecificTop1, double MaxAbsDiff, double MaxAbsOutput);

/// <summary>How far a variant of the cpu engine (reduced-precision weights, another convolution algorithm) strays
/// from the first: top-1 agreement over many smooth random images.</summary>
internal static class BenchAgreement
{
    /// <summary>Inputs compared between the cpu engine's variants.</summary>
    private const int AgreementInputs = 200;

    /// <summary>
    /// The cpu device's other variants (reduced-precision fully connected weights, another convolution algorithm)
    /// against its first over <see cref="AgreementInputs"/> smooth random images: how often the top-1 output index
    /// agrees, and the largest output difference.
    /// </summary>
    public static List<Agreement> Measure(IReadOnlyList<BenchEngine> engines, ModelGraph graph, string inputName, int[] dims)
    {
        var agreements = new List<Agreement>();
        var cpuEngines = engines.Where(e => e.Name == "convlive/cpu" || e.Name.StartsWith("convlive/cpu ", StringComparison.Ordinal)).ToList();
        if (cpuEngines.Count < 2 || cpuEngines[0].Model is not { } first)
        {
            return agreements;
        }

        var outputName = graph.Outputs[0].Name;
        var length = first.ShapeOf(outputName).Length;
        var x = new float[dims.Aggregate(1, (a, b) => a * b)];
        var expected = Outputs(first);
        var referenceName = cpuEngines[0].Name;
        foreach (var engine in cpuEngines.Skip(1))
        {
            var agreement = Compare(engine.Name, expected, Outputs(engine.Model!));
            agreements.Add(agreement);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{engine.Name} vs {referenceName} over {AgreementInputs} smooth random inputs (which chose {agreement.DistinctTop1} different top-1 outputs): top-1 agreement {agreement.Top1:P1}, "
                + $"its top-1 in the other's top-5 {agreement.Top1InTop5:P1}, input-specific top-1 (output minus its mean over the inputs) {agreement.InputSpecificTop1:P1}, "
                + $"max |diff| {agreement.MaxAbsDiff:G3} (outputs up to {agreement.MaxAbsOutput:G3})"));
        }

        return agreements;

        float[][] Outputs(CompiledModel model)
        {
            var outputs = new float[AgreementInputs][];
            for (var i = 0; i < AgreementInputs; i++)
            {
                SmoothImage(x, dims, seed: i);
                model.SetInput(inputName, x);
                model.Run();
                model.Read(outputName, outputs[i] = new float[length]);
            }

            return outputs;
        }
    }

    /// <summary>The agreement of one variant's outputs with the reference's, input by input.</summary>
    private static Agreement Compare(string name, float[][] expected, float[][] actual)
    {
        int same = 0, top5 = 0, sameSpecific = 0;
        int[] top = new int[5];
        float[] probabilities = new float[5];
        var classes = new HashSet<int>();
        double maxDiff = 0, maxRef = 0;
        float[] meanExpected = Mean(expected), meanActual = Mean(actual);
        for (var i = 0; i < expected.Length; i++)
        {
            var best = Classification.ArgMax(expected[i]);
            classes.Add(best);
            same += best == Classification.ArgMax(actual[i]) ? 1 : 0;
            Classification.Top(actual[i], top, probabilities);
            top5 += top.Contains(best) ? 1 : 0;
            sameSpecific += Classification.ArgMax(Minus(expected[i], meanExpected)) == Classification.ArgMax(Minus(actual[i], meanActual)) ? 1 : 0;
            for (var j = 0; j < expected[i].Length; j++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(expected[i][j] - actual[i][j]));
                maxRef = Math.Max(maxRef, Math.Abs(expected[i][j]));
            }
        }

        double n = expected.Length;
        return new Agreement(name, expected.Length, classes.Count, same / n, top5 / n, sameSpecific / n, maxDiff, maxRef);
    }

    private static float[] Mean(float[][] rows)
    {
        var mean = new float[rows[0].Length];
        foreach (var row in rows)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(mean, row, mean);
        }

        System.Numerics.Tensors.TensorPrimitives.Divide(mean, rows.Length, mean);
        return mean;
    }

    private static float[] Minus(float[] a, float[] b)
    {
        var d = new float[a.Length];
        System.Numerics.Tensors.TensorPrimitives.Subtract(a, b, d);
        return d;
    }

    /// <summary>Low-frequency images in [0, 1]: a few random waves and blobs per channel (closer to photographs than noise).</summary>

    internal static void SmoothImage(float[] x, int[] dims, int seed)
    {
        var random = new Random(seed);
        int channels = dims.Length > 1 ? dims[1] : 1, h = dims.Length > 2 ? dims[2] : 1, w = dims.Length > 3 ? dims[3] : 1;
        for (var c = 0; c < channels; c++)
        {
            var waves = Enumerable.Range(0, 4).Select(_ => (Fy: random.NextDouble() * 6, Fx: random.NextDouble() * 6, Phase: random.NextDouble() * 6.28, Amp: random.NextDouble() * 0.25)).ToArray();
            var (by, bx, br) = (random.NextDouble() * h, random.NextDouble() * w, 0.1 + (random.NextDouble() * 0.3 * Math.Max(h, w)));
            var offset = random.NextDouble();
            for (var y = 0; y < h; y++)
            {
                for (var xx = 0; xx < w; xx++)
                {
                    var v = offset;
                    foreach (var (fy, fx, phase, amp) in waves)
                    {
                        v += amp * Math.Sin((2 * Math.PI * ((fy * y / h) + (fx * xx / w))) + phase);
                    }

                    var d2 = (((y - by) * (y - by)) + ((xx - bx) * (xx - bx))) / (br * br);
                    v += 0.5 * Math.Exp(-d2);
                    x[(((c * h) + y) * w) + xx] = (float)Math.Clamp(v, 0, 1);
                }
            }
        }
    }
}
