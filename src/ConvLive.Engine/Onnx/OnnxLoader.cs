// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Engine.Graph;
using Google.Protobuf;
using Onnx;

namespace ConvLive.Engine.Onnx;

/// <summary>Reads an ONNX model file (OnnxSharp's protobuf types) into a <see cref="ModelGraph"/>.</summary>
public static class OnnxLoader
{
    /// <summary>The largest model file read (2 GiB: protobuf's own limit).</summary>
    public const long MaxFileBytes = int.MaxValue;

    /// <summary>Loads <paramref name="path"/>.</summary>
    /// <param name="path">An .onnx file.</param>
    /// <returns>The graph.</returns>
    /// <exception cref="ModelException">Missing, truncated, not ONNX, or structurally broken; the message says which.</exception>
    public static ModelGraph Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new ModelException($"{path}: no such file");
        }

        if (info.Length == 0 || info.Length > MaxFileBytes)
        {
            throw new ModelException($"{path}: {info.Length:N0} bytes is not a plausible ONNX model size");
        }

        ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or IOException)
        {
            throw new ModelException($"{path}: not an ONNX model, or the file is truncated ({e.Message})", e);
        }

        return FromProto(model, path);
    }

    /// <summary>Converts a parsed model.</summary>
    /// <param name="model">The protobuf model.</param>
    /// <param name="source">Its file name, for messages.</param>
    /// <returns>The graph.</returns>
    public static ModelGraph FromProto(ModelProto model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Graph is null || model.Graph.Node.Count == 0)
        {
            throw new ModelException($"{source}: the file has no graph (not an ONNX model?)");
        }

        var opset = 0;
        foreach (var import in model.OpsetImport)
        {
            if (import.Domain is "" or "ai.onnx")
            {
                opset = (int)import.Version;
            }
            else if (model.Graph.Node.Any(n => n.Domain == import.Domain))
            {
                throw new UnsupportedModelException($"{source}: operators from domain '{import.Domain}' are not supported");
            }
        }

        if (opset == 0)
        {
            throw new ModelException($"{source}: no ai.onnx opset is imported");
        }

        var graph = model.Graph;
        var initializers = new Dictionary<string, HostValue>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer)
        {
            initializers[t.Name] = OnnxTensors.ToHostValue(t, $"{source}: initializer");
        }

        var nodes = new List<Node>(graph.Node.Count);
        for (var i = 0; i < graph.Node.Count; i++)
        {
            var n = graph.Node[i];
            var name = string.IsNullOrEmpty(n.Name) ? string.Create(CultureInfo.InvariantCulture, $"{n.OpType}_{i}") : n.Name;
            nodes.Add(new Node(name, n.OpType, [.. n.Input], [.. n.Output], ReadAttributes(n, source, name)));
        }

        var inputs = graph.Input.Where(v => !initializers.ContainsKey(v.Name)).Select(v => ToGraphValue(v, source)).ToList();
        var outputs = graph.Output.Select(v => ToGraphValue(v, source)).ToList();
        return new ModelGraph(source, opset, nodes, inputs, outputs, initializers);
    }

    private static GraphValue ToGraphValue(ValueInfoProto v, string source)
    {
        if (v.Type is not null && v.Type.ValueCase != TypeProto.ValueOneofCase.TensorType)
        {
            throw new UnsupportedModelException($"{source}: graph value '{v.Name}' is a {v.Type.ValueCase} (only tensors are supported)");
        }

        var tensor = v.Type?.TensorType;
        var type = tensor is null ? ElementType.Float32
            : OnnxTensors.ElementTypeOf(tensor.ElemType) ?? throw new UnsupportedModelException($"{source}: graph value '{v.Name}' has element type {OnnxTensors.TypeName(tensor.ElemType)}");
        IReadOnlyList<long?>? dims = tensor?.Shape is null ? null
            : tensor.Shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : (long?)null).ToList();
        return new GraphValue(v.Name, type, dims);
    }

    private static NodeAttributes ReadAttributes(NodeProto node, string source, string name)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var a in node.Attribute)
        {
            values[a.Name] = a.Type switch
            {
                AttributeProto.Types.AttributeType.Int => a.I,
                AttributeProto.Types.AttributeType.Float => a.F,
                AttributeProto.Types.AttributeType.String => a.S.ToStringUtf8(),
                AttributeProto.Types.AttributeType.Ints => a.Ints.ToArray(),
                AttributeProto.Types.AttributeType.Floats => a.Floats.ToArray(),
                AttributeProto.Types.AttributeType.Strings => a.Strings.Select(s => s.ToStringUtf8()).ToArray(),
                AttributeProto.Types.AttributeType.Tensor => a.T is null
                    ? throw new ModelException($"{source}: node '{name}' ({node.OpType}) attribute '{a.Name}' is a tensor with no value")
                    : OnnxTensors.ToHostValue(a.T, $"{source}: node '{name}' attribute '{a.Name}'"),
                _ => throw new UnsupportedModelException($"{source}: node '{name}' ({node.OpType}) has attribute '{a.Name}' of type {a.Type}, which the engine does not read"),
            };
        }

        return new NodeAttributes(values);
    }
}
