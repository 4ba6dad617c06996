// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Graph;

namespace ConvLive.Engine.Training;

/// <summary>
/// Where a network is cut to make a frozen backbone for a new head. A classifier (AlexNet) is cut at the input of
/// its last fully connected layer (fc7's output: 4096 features); with <c>trainFullyConnected</c> at the input of its
/// first (pool5, 9216 features), and the head then starts from the network's own fc6 and fc7 weights so they are
/// trained too. A network without fully connected layers (ResNet-18 features) is used whole: its output, flattened.
/// </summary>
/// <param name="FeatureValue">The value the backbone ends at.</param>
/// <param name="FeatureLength">Its element count per image.</param>
/// <param name="InitialLayers">Fully connected layers copied from the network to start the head (fc6, fc7), or empty.</param>
public sealed record BackboneCut(string FeatureValue, int FeatureLength, IReadOnlyList<DenseLayer> InitialLayers)
{
    /// <summary>Finds the cut.</summary>
    /// <param name="graph">The full network.</param>
    /// <param name="shapeOf">The shape of any value (from a compiled model) as dims.</param>
    /// <param name="trainFullyConnected">Cut before the first fully connected layer and train them all.</param>
    /// <returns>The cut.</returns>
    /// <exception cref="ModelException">fc training asked of a network without fully connected layers, or their weights are not constants.</exception>
    public static BackboneCut Find(ModelGraph graph, Func<string, int> shapeOf, bool trainFullyConnected)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(shapeOf);
        var gemms = graph.Nodes.Where(n => n.OpType == "Gemm").ToList();
        if (gemms.Count == 0)
        {
            if (trainFullyConnected)
            {
                throw new ModelException($"{graph.Source}: has no fully connected (Gemm) layers to train; drop --train-fc");
            }

            var output = graph.Outputs[0].Name;
            return new BackboneCut(output, shapeOf(output), []);
        }

        if (!trainFullyConnected)
        {
            var input = gemms[^1].Inputs[0];
            return new BackboneCut(input, shapeOf(input), []);
        }

        var layers = gemms.Take(gemms.Count - 1).Select(g => ToDense(graph, g)).ToList();
        var first = gemms[0].Inputs[0];
        return new BackboneCut(first, shapeOf(first), layers);
    }

    /// <summary>The network up to <see cref="FeatureValue"/>: the nodes it needs, with it as the one output.</summary>
    /// <param name="graph">The full network.</param>
    /// <returns>The truncated graph.</returns>
    public ModelGraph Truncate(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var needed = new HashSet<string>(StringComparer.Ordinal) { FeatureValue };
        var keep = new List<Node>();
        for (var i = graph.Nodes.Count - 1; i >= 0; i--)
        {
            var node = graph.Nodes[i];
            if (node.Outputs.Any(needed.Contains))
            {
                keep.Add(node);
                needed.UnionWith(node.Inputs.Where(s => s.Length > 0));
            }
        }

        keep.Reverse();
        return graph with
        {
            Nodes = keep,
            Outputs = [new GraphValue(FeatureValue, ElementType.Float32, null)],
            Initializers = graph.Initializers.Where(kv => needed.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
        };
    }

    private static DenseLayer ToDense(ModelGraph graph, Node gemm)
    {
        var w = gemm.Input(1) is { } wn && graph.Initializers.TryGetValue(wn, out var wv) ? wv : null;
        var b = gemm.Input(2) is { } bn && graph.Initializers.TryGetValue(bn, out var bv) ? bv : null;
        if (w?.Floats is null || w.Shape.Rank != 2 || gemm.Attributes.Int("transA", 0) != 0)
        {
            throw new ModelException($"{graph.Source}: node {gemm.Name}: the fully connected weights are not a constant 2-D matrix; cannot train it");
        }

        var transB = gemm.Attributes.Int("transB", 0) != 0;
        int outputs = transB ? w.Shape[0] : w.Shape[1], inputs = transB ? w.Shape[1] : w.Shape[0];
        var weight = new float[outputs * inputs];
        for (var o = 0; o < outputs; o++)
        {
            for (var i = 0; i < inputs; i++)
            {
                weight[(o * inputs) + i] = transB ? w.Floats[(o * inputs) + i] : w.Floats[(i * outputs) + o];
            }
        }

        var bias = b?.Floats is { } bf && bf.Length == outputs ? (float[])bf.Clone() : new float[outputs];
        return new DenseLayer(inputs, outputs, weight, bias);
    }
}
