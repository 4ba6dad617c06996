// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Models;

namespace ConvLive.Engine.Live;

/// <summary>A model run once on a picture, preprocessed exactly as <c>live</c> feeds camera frames.</summary>
public static class PictureInput
{
    /// <summary>Compiles <paramref name="source"/>'s network at its input size (1,3,Size,Size).</summary>
    /// <param name="source">The model.</param>
    /// <param name="backend">Where it runs; not owned.</param>
    /// <returns>The compiled network; the caller owns it.</returns>
    public static CompiledModel Compile(ModelSource source, IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(source);
        return CompiledModel.Compile(source.Graph, backend, NetworkInput.InputShapes(source.Graph, source.Input));
    }

    /// <summary>Crops, resizes and normalises the picture into <paramref name="net"/>'s input (through the
    /// preprocessing graph when the model has one) and runs the network forward.</summary>
    /// <param name="net">Made by <see cref="Compile"/> for <paramref name="source"/>.</param>
    /// <param name="source">The model.</param>
    /// <param name="bgr">Packed 8-bit BGR.</param>
    /// <param name="width">Picture width.</param>
    /// <param name="height">Picture height.</param>
    public static void Run(CompiledModel net, ModelSource source, ReadOnlySpan<byte> bgr, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(source);
        using var input = NetworkInput.Create(net.Backend, net, source.PreprocessGraph, source.Input);
        input.SetFrame(bgr, width, height);
        input.Run();
    }
}
