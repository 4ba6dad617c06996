// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Graph;

/// <summary>
/// Inference-time rewrites that remove whole passes over memory without changing what the graph computes:
/// a BatchNormalization after a Conv is folded into the Conv's weights and bias (w·s, (b − mean)·s + β with
/// s = γ/√(var + ε), computed in double), a Relu after a Conv becomes the Conv's epilogue (op
/// <see cref="ConvRelu"/>), and an Add of a Conv's output and another value of the same shape (a residual block's
/// skip) becomes the Conv's too (op <see cref="ConvAdd"/>, the skip as input 3, and <see cref="ConvAddRelu"/> with
/// the Relu after it), as ONNX Runtime fuses them. A value survives whenever something else reads it: another node, a
/// graph output, or a name in <c>keep</c> (the live app's taps, a feature a head reads).
/// </summary>
/// <remarks>Returns a new graph; the input graph and its initializers are not modified.</remarks>
public static class GraphFusion
{
    /// <summary>The op type of a Conv with a fused Relu (only this class makes it).</summary>
    public const string ConvRelu = "Conv+Relu";

    /// <summary>The op type of a Conv whose output is added to a same-shape value (input 3), then stored.</summary>
    public const string ConvAdd = "Conv+Add";

    /// <summary>The op type of a Conv, a residual Add and a Relu in one store.</summary>
    public const string ConvAddRelu = "Conv+Add+Relu";

    /// <summary>Whether <paramref name="opType"/> is a convolution, fused or not.</summary>
    /// <param name="opType">A node's op type.</param>
    /// <returns>True for Conv and the fused forms this class makes.</returns>
    public static bool IsConv(string opType) => opType is "Conv" or ConvRelu or ConvAdd or ConvAddRelu;

    /// <summary>Whether <paramref name="opType"/> is a Conv with a residual Add fused in (the skip is its input 3).</summary>
    /// <param name="opType">A node's op type.</param>
    /// <returns>True for <see cref="ConvAdd"/> and <see cref="ConvAddRelu"/>.</returns>
    public static bool AddsResidual(string opType) => opType is ConvAdd or ConvAddRelu;

    private static readonly HashSet<string> BatchNormAttributes = ["epsilon", "is_test", "momentum", "spatial", "training_mode", "consumed_inputs"];

    /// <summary>Folds Conv→BatchNormalization and fuses Conv→Relu and Conv→Add(→Relu) wherever the intermediate value
    /// is not needed.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="keep">Values that must stay readable (graph outputs always do).</param>
    /// <param name="inputShapes">The shapes the graph will run at, as <see cref="CompiledModel.Compile"/> is given them
    /// (null: as declared). An Add is fused only where both operands have the same shape at these; with an input
    /// whose declared shape is symbolic and no shape given for it, no Add is fused.</param>
    /// <returns>The rewritten graph (the same nodes where nothing applied).</returns>
    public static ModelGraph Fuse(ModelGraph graph, IReadOnlyCollection<string>? keep = null, IReadOnlyDictionary<string, Tensors.TensorShape>? inputShapes = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var pinned = new HashSet<string>(graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        pinned.UnionWith(keep ?? []);
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var input in graph.Nodes.SelectMany(n => n.Inputs).Where(i => i.Length > 0))
        {
            uses[input] = uses.GetValueOrDefault(input) + 1;
        }

        var nodes = graph.Nodes.ToArray<Node?>();
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Length; i++)
        {
            foreach (var output in nodes[i]!.Outputs.Where(o => o.Length > 0))
            {
                producer[output] = i;
            }
        }

        var initializers = new Dictionary<string, HostValue>(graph.Initializers, StringComparer.Ordinal);
        var names = new HashSet<string>(graph.Nodes.SelectMany(n => n.Inputs.Concat(n.Outputs)).Concat(graph.Inputs.Select(i => i.Name)).Concat(initializers.Keys), StringComparer.Ordinal);
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        var shapes = Shapes(graph, inputShapes);
        for (var i = 0; i < nodes.Length; i++)
        {
            if (nodes[i] is { OpType: "Add" } add && ResidualAdd(add, nodes, producer, uses, pinned, shapes) is { } fused)
            {
                // The fused node takes the Add's place: the skip may be computed after the Conv (a projection).
                nodes[fused.Conv] = null;
                nodes[i] = fused.Node;
                producer[add.Outputs[0]] = i;
                continue;
            }

            if (nodes[i] is { OpType: "Relu" } relu && relu.Input(0) is { } sum && relu.Outputs.Count == 1 && uses.GetValueOrDefault(sum) == 1 &&
                !pinned.Contains(sum) && producer.TryGetValue(sum, out var a) && nodes[a] is { OpType: ConvAdd } convAdd)
            {
                nodes[a] = convAdd with { OpType = ConvAddRelu, Outputs = relu.Outputs };
                nodes[i] = null;
                producer[relu.Outputs[0]] = a;
                continue;
            }

            if (nodes[i] is not { } next || next.Input(0) is not { } between || uses.GetValueOrDefault(between) != 1 || pinned.Contains(between) ||
                !producer.TryGetValue(between, out var c) || nodes[c] is not { OpType: "Conv" } conv || conv.Outputs.Count != 1)
            {
                continue;
            }

            if (next.OpType == "BatchNormalization" && Fold(conv, next, initializers, names, replaced) is { } folded)
            {
                nodes[c] = folded;
                nodes[i] = null;
                producer[next.Outputs[0]] = c;
            }
            else if (next.OpType == "Relu" && next.Outputs.Count == 1)
            {
                nodes[c] = conv with { OpType = ConvRelu, Outputs = next.Outputs };
                nodes[i] = null;
                producer[next.Outputs[0]] = c;
            }
        }

        var kept = nodes.OfType<Node>().ToList();
        if (kept.Count == graph.Nodes.Count)
        {
            return graph;
        }

        // Weights a fold replaced are dropped once nothing reads them (a shared weight stays).
        var read = new HashSet<string>(kept.SelectMany(n => n.Inputs), StringComparer.Ordinal);
        foreach (var name in replaced.Where(n => !read.Contains(n) && !pinned.Contains(n)))
        {
            initializers.Remove(name);
        }

        return graph with { Nodes = kept, Initializers = initializers };
    }

    /// <summary>Each graph input's and each node's first output's shape at <paramref name="inputShapes"/> (else as
    /// declared), or empty when an input's shape is not known (a symbolic dimension: an Add that is same-shape at one
    /// size may broadcast at another) or the graph cannot be walked. Then no Add is fused; the other fusions need no
    /// shapes.</summary>
    private static Dictionary<string, Tensors.TensorShape> Shapes(ModelGraph graph, IReadOnlyDictionary<string, Tensors.TensorShape>? inputShapes)
    {
        var shapes = new Dictionary<string, Tensors.TensorShape>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs)
        {
            if (inputShapes?.GetValueOrDefault(input.Name) is { } given)
            {
                shapes[input.Name] = given;
            }
            else if (input.Dims is { } dims && dims.All(d => d is not null))
            {
                shapes[input.Name] = Tensors.TensorShape.FromLongs(dims.Select(d => d!.Value).ToArray());
            }
            else
            {
                shapes.Clear();
                return shapes;
            }
        }

        try
        {
            var rows = ModelInspector.Inspect(graph, inputShapes: shapes);
            for (var k = 0; k < rows.Count && k < graph.Nodes.Count; k++)
            {
                if (graph.Nodes[k].Outputs.Count > 0)
                {
                    shapes[graph.Nodes[k].Outputs[0]] = rows[k].Output;
                }
            }
        }
        catch (ModelException)
        {
            shapes.Clear();
        }

        return shapes;
    }

    /// <summary>Add(conv, skip) or Add(skip, conv) as one fused node (the Conv's inputs, its bias or "", then the skip),
    /// where the Conv is a plain one read only here and the two operands have the same known shape; else null. The
    /// rounding is the unfused graph's: the Conv's sum and bias first, then the skip.</summary>
    private static (int Conv, Node Node)? ResidualAdd(Node add, Node?[] nodes, Dictionary<string, int> producer, Dictionary<string, int> uses, HashSet<string> pinned, Dictionary<string, Tensors.TensorShape> shapes)
    {
        if (add.Inputs.Count != 2 || add.Outputs.Count != 1 || add.Outputs[0].Length == 0 || add.Attributes.Names.Any())
        {
            return null;
        }

        for (var k = 0; k < 2; k++)
        {
            string between = add.Inputs[k], skip = add.Inputs[1 - k];
            if (between.Length == 0 || skip.Length == 0 || between == skip || uses.GetValueOrDefault(between) != 1 || pinned.Contains(between) ||
                !producer.TryGetValue(between, out var c) || nodes[c] is not { OpType: "Conv" } conv || conv.Outputs.Count != 1 || conv.Inputs.Count is < 2 or > 3 ||
                !shapes.TryGetValue(between, out var a) || !shapes.TryGetValue(skip, out var b) || !a.Equals(b))
            {
                continue;
            }

            return (c, conv with { OpType = ConvAdd, Inputs = [conv.Inputs[0], conv.Inputs[1], conv.Inputs.Count > 2 ? conv.Inputs[2] : string.Empty, skip], Outputs = add.Outputs });
        }

        return null;
    }

    /// <summary>The Conv with the BatchNormalization folded in, or null when the pair is not foldable (weights not
    /// constant, training mode, an attribute it does not know).</summary>
    private static Node? Fold(Node conv, Node bn, Dictionary<string, HostValue> initializers, HashSet<string> names, HashSet<string> replaced)
    {
        if (bn.Outputs.Count(o => o.Length > 0) != 1 || bn.Outputs[0].Length == 0 || bn.Attributes.Names.Any(a => !BatchNormAttributes.Contains(a)) ||
            bn.Attributes.Int("training_mode", 0) != 0 || bn.Attributes.Int("spatial", 1) != 1 ||
            conv.Input(1) is not { } wName || !initializers.TryGetValue(wName, out var w) || w.Floats is not { } weights || w.Shape.Rank != 4)
        {
            return null;
        }

        var m = w.Shape[0];
        float[]? bias = null;
        if (conv.Input(2) is { } bName && (!initializers.TryGetValue(bName, out var b) || (bias = b.Floats) is null || bias.Length != m))
        {
            return null;
        }

        var p = new float[4][];
        for (var k = 0; k < 4; k++)
        {
            if (bn.Input(k + 1) is not { } name || !initializers.TryGetValue(name, out var v) || v.Floats is not { } values || values.Length != m || v.Shape.Rank != 1)
            {
                return null;
            }

            p[k] = values;
        }

        double epsilon = bn.Attributes.Float("epsilon", 1e-5f);
        var (gamma, beta, mean, variance) = (p[0], p[1], p[2], p[3]);
        var per = weights.Length / m;
        var folded = new float[weights.Length];
        var foldedBias = new float[m];
        for (var o = 0; o < m; o++)
        {
            var s = gamma[o] / Math.Sqrt(variance[o] + epsilon);
            for (var k = 0; k < per; k++)
            {
                folded[(o * per) + k] = (float)(weights[(o * per) + k] * s);
            }

            foldedBias[o] = (float)((((bias?[o] ?? 0f) - (double)mean[o]) * s) + beta[o]);
        }

        var wFolded = Unique(names, $"{wName}+{bn.Name}");
        var bFolded = Unique(names, $"{conv.Name}+{bn.Name}/bias");
        initializers[wFolded] = HostValue.Of(w.Shape, folded);
        initializers[bFolded] = HostValue.Of(new TensorShape(m), foldedBias);
        replaced.Add(wName);
        if (conv.Input(2) is { } oldBias)
        {
            replaced.Add(oldBias);
        }

        return conv with { Inputs = [conv.Inputs[0], wFolded, bFolded], Outputs = [bn.Outputs[0]] };
    }

    private static string Unique(HashSet<string> taken, string name)
    {
        var candidate = name;
        for (var i = 2; !taken.Add(candidate); i++)
        {
            candidate = $"{name}#{i}";
        }

        return candidate;
    }
}
