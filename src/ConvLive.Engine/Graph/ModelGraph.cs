// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Graph;

/// <summary>One node: an op applied to named inputs, producing named outputs.</summary>
/// <param name="Name">The node's name (or a generated one such as <c>Conv_3</c> when the file has none).</param>
/// <param name="OpType">The ONNX op type, e.g. <c>Conv</c>.</param>
/// <param name="Inputs">Input value names; an empty string marks an omitted optional input.</param>
/// <param name="Outputs">Output value names; an empty string marks an unused optional output.</param>
/// <param name="Attributes">The node's attributes.</param>
public sealed record Node(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, NodeAttributes Attributes)
{
    /// <summary>Input i's name, or null when it is absent or omitted.</summary>
    /// <param name="i">The input index.</param>
    /// <returns>The name or null.</returns>
    public string? Input(int i) => i < Inputs.Count && Inputs[i].Length > 0 ? Inputs[i] : null;
}

/// <summary>A graph input or output with its declared type and dimensions (null where symbolic).</summary>
/// <param name="Name">The value name.</param>
/// <param name="Type">The element type.</param>
/// <param name="Dims">Declared dimensions, null for a symbolic one; null when no shape is declared.</param>
public sealed record GraphValue(string Name, ElementType Type, IReadOnlyList<long?>? Dims);

/// <summary>A model as the engine holds it: nodes in topological order, initializers and the graph's interface.</summary>
/// <param name="Source">Where it came from (a file path), for messages.</param>
/// <param name="Opset">The ai.onnx opset version.</param>
/// <param name="Nodes">The nodes, in an order where every input is produced before use.</param>
/// <param name="Inputs">Graph inputs that are not initializers.</param>
/// <param name="Outputs">Graph outputs.</param>
/// <param name="Initializers">Weights and constants by name.</param>
public sealed record ModelGraph(
    string Source,
    int Opset,
    IReadOnlyList<Node> Nodes,
    IReadOnlyList<GraphValue> Inputs,
    IReadOnlyList<GraphValue> Outputs,
    IReadOnlyDictionary<string, HostValue> Initializers);
