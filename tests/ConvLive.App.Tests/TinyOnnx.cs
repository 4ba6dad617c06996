// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.App.Tests;

/// <summary>Small ONNX graphs built in code for tests that need a model of a particular shape.</summary>
internal static class TinyOnnx
{
    /// <summary>An opset-13 model named <paramref name="name"/> with one float input and one float output.</summary>
    public static Onnx.ModelProto Model(string name, Onnx.ValueInfoProto input, Onnx.ValueInfoProto output)
    {
        var model = new Onnx.ModelProto { IrVersion = 7, Graph = new Onnx.GraphProto { Name = name } };
        model.OpsetImport.Add(new Onnx.OperatorSetIdProto { Domain = string.Empty, Version = 13 });
        model.Graph.Input.Add(input);
        model.Graph.Output.Add(output);
        return model;
    }

    /// <summary>A node with integer-list attributes.</summary>
    public static Onnx.NodeProto Node(string op, string name, string[] inputs, string output, params (string Name, long[] Ints)[] attributes)
    {
        var node = new Onnx.NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (attribute, ints) in attributes)
        {
            var a = new Onnx.AttributeProto { Name = attribute, Type = Onnx.AttributeProto.Types.AttributeType.Ints };
            a.Ints.AddRange(ints);
            node.Attribute.Add(a);
        }

        return node;
    }

    /// <summary>A float tensor value of fixed dimensions.</summary>
    public static Onnx.ValueInfoProto Value(string name, params long[] dims)
    {
        var tensor = new Onnx.TypeProto.Types.Tensor { ElemType = 1, Shape = new Onnx.TensorShapeProto() };
        tensor.Shape.Dim.AddRange(dims.Select(d => new Onnx.TensorShapeProto.Types.Dimension { DimValue = d }));
        return new Onnx.ValueInfoProto { Name = name, Type = new Onnx.TypeProto { TensorType = tensor } };
    }
}
