// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Graph;

/// <summary>
/// Names a person reads for a network's layers, from op types and order, whatever the exporter called the values
/// (<c>Convolution249_Output_0</c>, <c>/features/features.0/Conv_output_0</c>). A plain stack is named as the AlexNet
/// paper does: conv1…convN in order, a pool or LRN after the convolution it follows (pool1, norm1), fully connected
/// layers numbered on from the convolutions (fc6, fc7, fc8 after five). A residual network (an Add of two computed
/// values) is named as torchvision names ResNet: the stem conv1 and maxpool, then layerS.B.convK per block, the 1×1
/// projection of a block's input layerS.B.downsample, a new stage S where the blocks' channel count changes, then
/// avgpool and fc. A fused graph (<see cref="GraphFusion"/>: BatchNormalization folded, Relu and a residual Add in
/// the Conv) gets the same names as the graph it came from.
/// </summary>
public static class LayerNames
{
    /// <summary>Readable names for the outputs of the graph's Conv, pool, LRN and fully connected nodes.</summary>
    /// <param name="graph">The model.</param>
    /// <returns>Value name → readable name (unique); other values are absent.</returns>
    public static IReadOnlyDictionary<string, string> For(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var computed = new HashSet<string>(graph.Nodes.SelectMany(n => n.Outputs), StringComparer.Ordinal);
        var residual = graph.Nodes.Any(n => (n.OpType == "Add" && n.Inputs.Count == 2 && n.Inputs.All(computed.Contains)) || (IsResidualConv(n) && computed.Contains(n.Inputs[ConvResidualInput])));
        var names = residual ? Residual(graph, computed) : Plain(graph);
        var unique = new Dictionary<string, string>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (value, name) in names)
        {
            var candidate = name;
            for (var k = 2; !used.Add(candidate); k++)
            {
                candidate = $"{name}_{k}";
            }

            unique[value] = candidate;
        }

        return unique;
    }

    private static List<(string Value, string Name)> Plain(ModelGraph graph)
    {
        var names = new List<(string, string)>();
        int convs = 0, fcs = 0;
        foreach (var node in graph.Nodes)
        {
            var name = node.OpType switch
            {
                _ when GraphFusion.IsConv(node.OpType) => $"conv{++convs}",
                "LRN" => $"norm{convs}",
                "MaxPool" or "AveragePool" or "LpPool" => $"pool{convs}",
                "GlobalAveragePool" => "avgpool",
                "GlobalMaxPool" => "maxpool",
                "Gemm" or "MatMul" => $"fc{convs + ++fcs}",
                _ => null,
            };
            if (name is not null && node.Outputs.Count > 0)
            {
                names.Add((node.Outputs[0], name));
            }
        }

        return names;
    }

    private static List<(string Value, string Name)> Residual(ModelGraph graph, HashSet<string> computed)
    {
        var consumers = graph.Nodes.SelectMany(n => n.Inputs.Select(i => (Input: i, Node: n))).ToLookup(p => p.Input, p => p.Node, StringComparer.Ordinal);
        var names = new List<(string, string)>();
        string? blockInput = null; // the value the current block reads (null: still in the stem)
        var blockOutputs = new HashSet<string>(StringComparer.Ordinal); // each residual Add's value and its Relu's
        int stem = 0, stage = 0, block = -1, conv = 0, lastChannels = -1;
        foreach (var node in graph.Nodes)
        {
            var output = node.Outputs.Count > 0 ? node.Outputs[0] : string.Empty;
            if (node.OpType == "Add" || IsResidualConv(node) || (node.OpType == "Relu" && node.Inputs.Count > 0 && blockOutputs.Contains(node.Inputs[0])))
            {
                blockOutputs.Add(output);
            }

            if (GraphFusion.IsConv(node.OpType) && node.Inputs.Count > 0)
            {
                var input = node.Inputs[0];
                var fork = computed.Contains(input) && consumers[input].Count() > 1; // a block's input feeds two paths
                if (blockInput is null && !fork)
                {
                    names.Add((output, $"conv{++stem}"));
                    continue;
                }

                if (fork && input != blockInput)
                {
                    blockInput = input;
                    var channels = OutputChannels(graph, node);
                    if (channels != lastChannels)
                    {
                        (stage, block, lastChannels) = (stage + 1, -1, channels);
                    }

                    (block, conv) = (block + 1, 0);
                }

                names.Add((output, input == blockInput && FeedsAdd(output, consumers) ? $"layer{stage}.{block}.downsample" : $"layer{stage}.{block}.conv{++conv}"));
                continue;
            }

            var name = node.OpType switch
            {
                "MaxPool" or "AveragePool" or "LpPool" when blockInput is null => node.OpType == "AveragePool" ? "avgpool" : "maxpool",
                "AveragePool" or "MaxPool" or "LpPool" when node.Inputs.Count > 0 && blockOutputs.Contains(node.Inputs[0]) => node.OpType == "AveragePool" ? "avgpool" : "maxpool",
                "MaxPool" or "AveragePool" or "LpPool" => $"layer{stage}.{block}.pool",
                "GlobalAveragePool" => "avgpool",
                "GlobalMaxPool" => "maxpool",
                "Gemm" or "MatMul" => "fc",
                "LRN" => "norm",
                _ => null,
            };
            if (name is not null && output.Length > 0)
            {
                names.Add((output, name));
            }
        }

        return names;
    }

    /// <summary>True when <paramref name="value"/> reaches an Add through normalisation alone (a projection
    /// shortcut), not through another convolution (a block's main path).</summary>
    private static bool FeedsAdd(string value, ILookup<string, Node> consumers)
    {
        for (var hops = 0; hops < 4; hops++)
        {
            var next = consumers[value].ToList();
            if (next.Any(n => n.OpType == "Add" || (IsResidualConv(n) && n.Inputs[ConvResidualInput] == value)))
            {
                return true;
            }

            if (next.Count != 1 || next[0].OpType is not ("BatchNormalization" or "Identity") || next[0].Outputs.Count == 0)
            {
                return false;
            }

            value = next[0].Outputs[0];
        }

        return false;
    }

    /// <summary>A Conv with a residual Add fused in (the Add's value is its output; the skip is its input 3).</summary>
    private static bool IsResidualConv(Node node) =>
        GraphFusion.AddsResidual(node.OpType) && node.Inputs.Count > ConvResidualInput;

    private const int ConvResidualInput = Layers.ConvLayer.ResidualInput;

    private static int OutputChannels(ModelGraph graph, Node conv) =>
        conv.Inputs.Count > 1 && graph.Initializers.TryGetValue(conv.Inputs[1], out var w) && w.Shape.Rank > 0 ? w.Shape[0] : -1;
}
