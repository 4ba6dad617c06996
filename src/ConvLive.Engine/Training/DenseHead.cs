// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Training;

/// <summary>One fully connected layer: y = x·Wᵀ + b with W (Outputs, Inputs) row-major, as ONNX Gemm with transB = 1.</summary>
/// <param name="Inputs">Input width.</param>
/// <param name="Outputs">Output width.</param>
/// <param name="Weight">Outputs·Inputs values.</param>
/// <param name="Bias">Outputs values.</param>
public sealed record DenseLayer(int Inputs, int Outputs, float[] Weight, float[] Bias);

/// <summary>
/// A classifier head on frozen features: fully connected layers with ReLU between them (none after the last),
/// logits out. Linear when it has one layer.
/// </summary>
public sealed class DenseHead
{
    /// <summary>Wraps layers whose widths chain.</summary>
    /// <param name="layers">First to last.</param>
    /// <exception cref="ArgumentException">Widths do not chain or arrays have the wrong length.</exception>
    public DenseHead(IReadOnlyList<DenseLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0)
        {
            throw new ArgumentException("a head needs at least one layer", nameof(layers));
        }

        for (var i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            if (l.Weight.Length != l.Inputs * l.Outputs || l.Bias.Length != l.Outputs)
            {
                throw new ArgumentException($"layer {i}: weight {l.Weight.Length} / bias {l.Bias.Length} values do not match {l.Outputs}x{l.Inputs}", nameof(layers));
            }

            if (i > 0 && layers[i - 1].Outputs != l.Inputs)
            {
                throw new ArgumentException($"layer {i} takes {l.Inputs} inputs but layer {i - 1} gives {layers[i - 1].Outputs}", nameof(layers));
            }
        }

        Layers = layers;
    }

    /// <summary>The layers, first to last.</summary>
    public IReadOnlyList<DenseLayer> Layers { get; }

    /// <summary>Feature width.</summary>
    public int Inputs => Layers[0].Inputs;

    /// <summary>Number of classes.</summary>
    public int Classes => Layers[^1].Outputs;

    /// <summary>Parameter count.</summary>
    public long Parameters => Layers.Sum(l => (long)l.Weight.Length + l.Bias.Length);

    /// <summary>A freshly initialised head: He-normal weights (variance 2/fan-in), zero biases.</summary>
    /// <param name="inputs">Feature width.</param>
    /// <param name="hidden">Hidden widths (empty: linear).</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="seed">Random seed.</param>
    /// <returns>The head.</returns>
    public static DenseHead Create(int inputs, IReadOnlyList<int> hidden, int classes, int seed)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        var random = new Random(seed);
        var widths = new List<int> { inputs };
        widths.AddRange(hidden);
        widths.Add(classes);
        var layers = new List<DenseLayer>();
        for (var i = 0; i + 1 < widths.Count; i++)
        {
            int fanIn = widths[i], fanOut = widths[i + 1];
            var w = new float[fanIn * fanOut];
            var sd = Math.Sqrt(2.0 / fanIn);
            for (var j = 0; j < w.Length; j++)
            {
                // Box-Muller.
                var u = 1.0 - random.NextDouble();
                var v = random.NextDouble();
                w[j] = (float)(sd * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
            }

            layers.Add(new DenseLayer(fanIn, fanOut, w, new float[fanOut]));
        }

        return new DenseHead(layers);
    }

    /// <summary>Logits for one feature vector, in double precision on the host (the reference the device is held to).</summary>
    /// <param name="features">Inputs values.</param>
    /// <returns>Classes logits.</returns>
    public double[] ReferenceLogits(ReadOnlySpan<float> features)
    {
        var a = new double[features.Length];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = features[i];
        }

        for (var li = 0; li < Layers.Count; li++)
        {
            var l = Layers[li];
            var z = new double[l.Outputs];
            for (var o = 0; o < l.Outputs; o++)
            {
                double s = l.Bias[o];
                for (var k = 0; k < l.Inputs; k++)
                {
                    s += l.Weight[(o * l.Inputs) + k] * a[k];
                }

                z[o] = li + 1 < Layers.Count ? Math.Max(0, s) : s;
            }

            a = z;
        }

        return a;
    }
}
