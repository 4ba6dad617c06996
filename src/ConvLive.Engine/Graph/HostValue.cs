// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Graph;

/// <summary>The element types a model value may have in the engine.</summary>
public enum ElementType
{
    /// <summary>32-bit float: computed on the backend.</summary>
    Float32,

    /// <summary>64-bit integers: shapes, axes and sizes, kept on the host.</summary>
    Int64,

    /// <summary>Booleans (Dropout's mask), kept on the host.</summary>
    Bool,
}

/// <summary>A tensor held on the host: an initializer, a constant, a graph input or an expected output.</summary>
/// <remarks>Exactly one of the arrays is set, according to <see cref="Type"/>. Immutable by convention.</remarks>
public sealed class HostValue
{
    private HostValue(ElementType type, TensorShape shape, float[]? floats, long[]? longs, bool[]? bools)
    {
        Type = type;
        Shape = shape;
        Floats = floats;
        Longs = longs;
        Bools = bools;
    }

    /// <summary>The element type.</summary>
    public ElementType Type { get; }

    /// <summary>The shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>The values when <see cref="Type"/> is Float32.</summary>
    public float[]? Floats { get; }

    /// <summary>The values when <see cref="Type"/> is Int64.</summary>
    public long[]? Longs { get; }

    /// <summary>The values when <see cref="Type"/> is Bool.</summary>
    public bool[]? Bools { get; }

    /// <summary>A float tensor.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="values">shape.Length values; not copied.</param>
    /// <returns>The value.</returns>
    public static HostValue Of(TensorShape shape, float[] values) => new(ElementType.Float32, shape, values, null, null);

    /// <summary>An int64 tensor.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="values">shape.Length values; not copied.</param>
    /// <returns>The value.</returns>
    public static HostValue Of(TensorShape shape, long[] values) => new(ElementType.Int64, shape, null, values, null);

    /// <summary>A bool tensor.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="values">shape.Length values; not copied.</param>
    /// <returns>The value.</returns>
    public static HostValue Of(TensorShape shape, bool[] values) => new(ElementType.Bool, shape, null, null, values);

    /// <inheritdoc/>
    public override string ToString() => $"{Type} {Shape}";
}
