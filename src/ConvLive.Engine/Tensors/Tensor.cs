// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Tensors;

/// <summary>A float32 tensor in host memory: a shape and a row-major array.</summary>
/// <remarks>Owns <see cref="Data"/>. Not thread safe.</remarks>
public sealed class Tensor
{
    /// <summary>Creates a tensor of zeros.</summary>
    /// <param name="shape">The shape.</param>
    public Tensor(TensorShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Shape = shape;
        Data = new float[shape.Length];
    }

    /// <summary>Wraps <paramref name="data"/> (not copied).</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="data">Exactly shape.Length values.</param>
    public Tensor(TensorShape shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length != shape.Length)
        {
            throw new ArgumentException($"shape {shape} needs {shape.Length} values, got {data.Length}", nameof(data));
        }

        Shape = shape;
        Data = data;
    }

    /// <summary>The shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>The values, row-major.</summary>
    public float[] Data { get; }

    /// <inheritdoc/>
    public override string ToString() => $"Tensor {Shape}";
}
