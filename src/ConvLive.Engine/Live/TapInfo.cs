// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Live;

/// <summary>A value shown live: a layer's output (or the network input) and where its tiles sit in the atlas.</summary>
/// <param name="Name">The node name, e.g. <c>conv1_1</c>.</param>
/// <param name="Op">The node's op, e.g. <c>Conv</c>; <c>Input</c> for the network input.</param>
/// <param name="Shape">The value's shape.</param>
/// <param name="Layout">Its tiles in the atlas.</param>
/// <param name="IsVector">A fully connected layer: one tile whose pixels are its neurons.</param>
public sealed record TapInfo(string Name, string Op, TensorShape Shape, TileLayout Layout, bool IsVector)
{
    /// <summary>Channels (or neurons, for a vector).</summary>
    public int Channels => IsVector ? Shape.Length : Shape[1];

    /// <summary>The name a person reads (<see cref="Graph.LayerNames"/>: conv1, pool1, fc6, layer2.0.conv1; "input"
    /// for the network input); <see cref="Name"/> is the ONNX value's.</summary>
    public string Label { get; init; } = Name;

    /// <summary>A short description, e.g. <c>conv1 Conv 96x54x54</c> (ASCII: the app's font has no ×).</summary>
    public string Title => IsVector ? $"{Label} {Op} {Shape.Length}" : $"{Label} {Op} {Shape[1]}x{Shape[2]}x{Shape[3]}";
}
