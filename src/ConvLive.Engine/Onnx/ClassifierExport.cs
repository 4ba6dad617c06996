// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.InteropServices;
using ConvLive.Engine.Graph;
using ConvLive.Engine.IO;
using ConvLive.Engine.Models;
using ConvLive.Engine.Training;
using Google.Protobuf;
using Onnx;

namespace ConvLive.Engine.Onnx;

/// <summary>
/// Writes a trained classifier as one self-contained ONNX model: input <see cref="InputName"/> (1,3,Size,Size) RGB
/// in [0, 1]; a 1×1 convolution that does the backbone's channel order, scaling and normalisation; the backbone's
/// own preprocessing graph and nodes up to the cut (names prefixed so they cannot clash); the head's fully
/// connected layers with ReLU between; softmax; output <see cref="OutputName"/> (1,classes). Only standard
/// operators, so ONNX Runtime, OpenCV DNN and ConvLive itself run it.
/// </summary>
public static class ClassifierExport
{
    private static readonly HashSet<string> ZeroDefaultInts = ["storage_order", "count_include_pad", "ceil_mode", "transA", "transB"];

    /// <summary>The export's input.</summary>
    public const string InputName = "image";

    /// <summary>The export's output.</summary>
    public const string OutputName = "probabilities";

    /// <summary>Builds the model.</summary>
    /// <param name="backbonePath">The backbone's ONNX file.</param>
    /// <param name="preprocessPath">Its preprocessing graph's ONNX file, or null.</param>
    /// <param name="spec">How frames become the backbone's input.</param>
    /// <param name="featureValue">The backbone value the head reads (see <see cref="BackboneCut"/>).</param>
    /// <param name="head">The trained head.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ModelException">A file does not parse or the cut value is not in the backbone.</exception>
    /// <param name="weights">Backbone initializers trained by ConvLive, by their name in the backbone file (written in
    /// place of the file's values), or null.</param>
    public static ModelProto Build(string backbonePath, string? preprocessPath, InputSpec spec, string featureValue, DenseHead head, IReadOnlyDictionary<string, float[]>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(head);
        var backbone = Parse(backbonePath);
        var prep = preprocessPath is null ? null : Parse(preprocessPath);
        var opset = Math.Max(Opset(backbone), prep is null ? 0 : Opset(prep));
        var model = new ModelProto
        {
            IrVersion = Math.Max(Math.Max(backbone.IrVersion, prep?.IrVersion ?? 0), 4),
            ProducerName = "convlive",
            ProducerVersion = typeof(ClassifierExport).Assembly.GetName().Version?.ToString() ?? "0",
            DocString = $"ConvLive classifier: {Path.GetFileName(backbonePath)} up to '{featureValue}' + a {head.Layers.Count}-layer head, {head.Classes} classes",
            Graph = new GraphProto { Name = "convlive-classifier" },
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = opset });
        var g = model.Graph;
        var size = spec.Size;
        g.Input.Add(Value(InputName, 1, 3, size, size));

        // RGB in [0,1] → the backbone's channel order, ×255·scale, −mean, ÷std: one 1×1 convolution.
        var bgr = string.Equals(spec.Channels, "BGR", StringComparison.OrdinalIgnoreCase);
        var w = new float[9];
        var b = new float[3];
        for (var o = 0; o < 3; o++)
        {
            w[(o * 3) + (bgr ? 2 - o : o)] = 255f * spec.Scale / spec.Std[o];
            b[o] = -spec.Mean[o] / spec.Std[o];
        }

        g.Initializer.Add(Floats("input/weight", w, 3, 3, 1, 1));
        g.Initializer.Add(Floats("input/bias", b, 3));
        g.Node.Add(NodeOf("Conv", "input/normalise", [InputName, "input/weight", "input/bias"], "input/x",
            Ints("kernel_shape", 1, 1), Ints("strides", 1, 1), Ints("pads", 0, 0, 0, 0), Ints("dilations", 1, 1), Int("group", 1)));
        var current = "input/x";

        var backboneInput = backbone.Graph.Input.First(i => backbone.Graph.Initializer.All(t => t.Name != i.Name)).Name;
        if (prep is not null)
        {
            var prepInput = prep.Graph.Input.First(i => prep.Graph.Initializer.All(t => t.Name != i.Name)).Name;
            current = CopyGraph(prep.Graph, g, "prep/", prepInput, current, prep.Graph.Output[0].Name);
        }

        if (weights?.Keys.FirstOrDefault(k => backbone.Graph.Initializer.All(t => t.Name != k)) is { } stray)
        {
            throw new ModelException($"export: trained weight '{stray}' is not an initializer of {Path.GetFileName(backbonePath)}");
        }

        current = CopyGraph(backbone.Graph, g, "net/", backboneInput, current, featureValue, weights);

        g.Node.Add(NodeOf("Flatten", "head/flatten", [current], "head/features", Int("axis", 1)));
        current = "head/features";
        for (var i = 0; i < head.Layers.Count; i++)
        {
            var l = head.Layers[i];
            g.Initializer.Add(Floats($"head/w{i}", l.Weight, l.Outputs, l.Inputs));
            g.Initializer.Add(Floats($"head/b{i}", l.Bias, l.Outputs));
            var z = i + 1 < head.Layers.Count ? $"head/z{i}" : "head/logits";
            g.Node.Add(NodeOf("Gemm", $"head/fc{i}", [current, $"head/w{i}", $"head/b{i}"], z, Int("transB", 1)));
            current = z;
            if (i + 1 < head.Layers.Count)
            {
                g.Node.Add(NodeOf("Relu", $"head/relu{i}", [z], $"head/a{i}"));
                current = $"head/a{i}";
            }
        }

        g.Node.Add(NodeOf("Softmax", "head/softmax", [current], OutputName, Int("axis", 1)));
        g.Output.Add(Value(OutputName, 1, head.Classes));
        return model;
    }

    /// <summary>Writes the model atomically.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The .onnx file.</param>
    public static void Write(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        AtomicFile.Write(path, s => model.WriteTo(s));
    }

    /// <summary>Copies the nodes of <paramref name="source"/> that <paramref name="output"/> needs into
    /// <paramref name="target"/>, every name prefixed, its input renamed to <paramref name="feed"/>.</summary>
    /// <returns>The new name of <paramref name="output"/>.</returns>
    private static string CopyGraph(GraphProto source, GraphProto target, string prefix, string input, string feed, string output, IReadOnlyDictionary<string, float[]>? weights = null)
    {
        string Rename(string name) => name.Length == 0 ? name : name == input ? feed : prefix + name;

        var needed = new HashSet<string>(StringComparer.Ordinal) { output };
        var keep = new List<NodeProto>();
        for (var i = source.Node.Count - 1; i >= 0; i--)
        {
            var node = source.Node[i];
            if (node.Output.Any(needed.Contains))
            {
                keep.Add(node);
                needed.UnionWith(node.Input.Where(s => s.Length > 0));
            }
        }

        if (keep.Count == 0)
        {
            throw new ModelException($"export: no node of the backbone produces '{output}'");
        }

        keep.Reverse();
        for (var i = 0; i < keep.Count; i++)
        {
            var copy = keep[i].Clone();
            WriteDefaults(copy, source); // before the renames: the weights keep their names in the source
            copy.Name = prefix + (copy.Name.Length > 0 ? copy.Name : $"{copy.OpType}_{i}");
            for (var j = 0; j < copy.Input.Count; j++)
            {
                copy.Input[j] = Rename(copy.Input[j]);
            }

            for (var j = 0; j < copy.Output.Count; j++)
            {
                copy.Output[j] = Rename(copy.Output[j]);
            }

            foreach (var a in copy.Attribute)
            {
                SetAttributeType(a);
            }

            // protobuf 3 does not write a zero int, so readers that test for the field's presence (OpenCV DNN) find
            // these attributes empty and refuse the node. Zero is each one's ONNX default: leaving them out is exact.
            foreach (var a in copy.Attribute.Where(a => a.Type == AttributeProto.Types.AttributeType.Int && a.I == 0 && ZeroDefaultInts.Contains(a.Name)).ToList())
            {
                copy.Attribute.Remove(a);
            }

            target.Node.Add(copy);
        }

        foreach (var t in source.Initializer.Where(t => needed.Contains(t.Name)))
        {
            if (weights is not null && weights.TryGetValue(t.Name, out var trained))
            {
                if (trained.Length != t.Dims.Aggregate(1L, (a, d) => a * d))
                {
                    throw new ModelException($"export: trained '{t.Name}' has {trained.Length} values, the backbone's {string.Join('x', t.Dims)}");
                }

                target.Initializer.Add(Floats(Rename(t.Name), trained, [.. t.Dims]));
                continue;
            }

            var copy = t.Clone();
            copy.Name = Rename(copy.Name);
            target.Initializer.Add(copy);
        }

        return Rename(output);
    }

    /// <summary>Older exporters (ML.NET's ResNet-18) leave AttributeProto.type unset; ONNX Runtime infers it,
    /// OpenCV DNN refuses the node. Sets it from the field that holds the value.</summary>
    private static void SetAttributeType(AttributeProto a)
    {
        if (a.Type != AttributeProto.Types.AttributeType.Undefined)
        {
            return;
        }

        a.Type = a.Ints.Count > 0 ? AttributeProto.Types.AttributeType.Ints
            : a.Floats.Count > 0 ? AttributeProto.Types.AttributeType.Floats
            : a.Strings.Count > 0 ? AttributeProto.Types.AttributeType.Strings
            : a.T is not null ? AttributeProto.Types.AttributeType.Tensor
            : !a.S.IsEmpty ? AttributeProto.Types.AttributeType.String
            : a.F != 0 ? AttributeProto.Types.AttributeType.Float
            : AttributeProto.Types.AttributeType.Int;
    }

    private static ModelProto Parse(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return ModelProto.Parser.ParseFrom(stream);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or IOException)
        {
            throw new ModelException($"{path}: cannot read it for the export ({e.Message})", e);
        }
    }

    private static long Opset(ModelProto model) =>
        model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(1).Max();

    private static NodeProto NodeOf(string op, string name, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    /// <summary>Writes out the window attributes a Conv or pool leaves to their defaults (kernel_shape from a Conv's
    /// weights, unit strides and dilations, zero pads, one group): ONNX Runtime infers them, but OpenCV DNN 4.6
    /// (Debian's) refuses a Conv without kernel_shape, and a reader should not have to know the defaults.</summary>
    private static void WriteDefaults(NodeProto node, GraphProto graph)
    {
        if (node.OpType is not ("Conv" or "MaxPool" or "AveragePool" or "LpPool"))
        {
            return;
        }

        bool Has(string name) => node.Attribute.Any(a => a.Name == name);
        if (!Has("kernel_shape") && node.OpType == "Conv" && node.Input.Count > 1
            && graph.Initializer.FirstOrDefault(t => t.Name == node.Input[1]) is { Dims.Count: > 2 } weight)
        {
            node.Attribute.Add(Ints("kernel_shape", [.. weight.Dims.Skip(2)]));
        }

        var spatial = node.Attribute.FirstOrDefault(a => a.Name == "kernel_shape")?.Ints.Count ?? 0;
        if (spatial == 0)
        {
            return;
        }

        if (!Has("strides"))
        {
            node.Attribute.Add(Ints("strides", [.. Enumerable.Repeat(1L, spatial)]));
        }

        var autoPad = node.Attribute.FirstOrDefault(a => a.Name == "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        if (!Has("pads") && autoPad is "" or "NOTSET")
        {
            node.Attribute.Add(Ints("pads", [.. Enumerable.Repeat(0L, 2 * spatial)]));
        }

        if (node.OpType == "Conv" && !Has("dilations")) // not MaxPool: its dilations only exist from opset 10
        {
            node.Attribute.Add(Ints("dilations", [.. Enumerable.Repeat(1L, spatial)]));
        }

        if (node.OpType == "Conv" && !Has("group"))
        {
            node.Attribute.Add(Int("group", 1));
        }
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static TensorProto Floats(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static ValueInfoProto Value(string name, params long[] dims)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() };
        tensor.Shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}
