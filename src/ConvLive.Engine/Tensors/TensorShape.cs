// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Tensors;

/// <summary>The dimensions of a dense row-major tensor (NCHW for images). Immutable.</summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    /// <summary>The most elements a tensor may hold (2³¹ − 1: one .NET array, one ILGPU int-indexed view).</summary>
    public const long MaxLength = int.MaxValue;

    private readonly int[] _dims;

    /// <summary>Creates a shape; every dimension must be ≥ 0 and the product at most <see cref="MaxLength"/>.</summary>
    /// <param name="dims">The dimensions, outermost first; copied.</param>
    /// <exception cref="ArgumentException">A negative dimension or too many elements.</exception>
    public TensorShape(params ReadOnlySpan<int> dims)
    {
        long length = 1;
        foreach (var d in dims)
        {
            if (d < 0)
            {
                throw new ArgumentException($"shape {Format(dims)} has a negative dimension");
            }

            length *= d;
            if (length > MaxLength)
            {
                throw new ArgumentException($"shape {Format(dims)} holds more than {MaxLength:N0} elements");
            }
        }

        _dims = dims.ToArray();
        Length = (int)length;
    }

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims.Length;

    /// <summary>Number of elements (1 for a scalar).</summary>
    public int Length { get; }

    /// <summary>Dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    /// <param name="axis">The axis, −Rank ≤ axis &lt; Rank.</param>
    public int this[int axis] => _dims[axis < 0 ? axis + Rank : axis];

    /// <summary>Builds a shape from 64-bit dimensions (as ONNX stores them), checking each fits.</summary>
    /// <param name="dims">The dimensions.</param>
    /// <returns>The shape.</returns>
    /// <exception cref="ArgumentException">A dimension outside 0..2³¹−1.</exception>
    public static TensorShape FromLongs(IReadOnlyList<long> dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var ints = new int[dims.Count];
        for (var i = 0; i < ints.Length; i++)
        {
            ints[i] = dims[i] is >= 0 and <= int.MaxValue ? (int)dims[i] : throw new ArgumentException($"dimension {i} = {dims[i]} is outside 0..{int.MaxValue}");
        }

        return new TensorShape(ints);
    }

    /// <summary>The product of dimensions [from, to).</summary>
    /// <param name="from">First axis, inclusive.</param>
    /// <param name="to">Last axis, exclusive.</param>
    /// <returns>The element count of that block.</returns>
    public int Product(int from, int to)
    {
        var p = 1;
        for (var i = from; i < to; i++)
        {
            p *= _dims[i];
        }

        return p;
    }

    /// <summary>Normalises a possibly negative axis and checks it.</summary>
    /// <param name="axis">The axis as given.</param>
    /// <param name="rank">The rank it refers to.</param>
    /// <returns>The axis in 0..rank−1.</returns>
    /// <exception cref="ArgumentException">Out of range.</exception>
    public static int NormaliseAxis(long axis, int rank)
    {
        var a = axis < 0 ? axis + rank : axis;
        return a >= 0 && a < rank ? (int)a : throw new ArgumentException($"axis {axis} is out of range for rank {rank}");
    }

    /// <inheritdoc/>
    public bool Equals(TensorShape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as TensorShape);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in _dims)
        {
            hash.Add(d);
        }

        return hash.ToHashCode();
    }

    /// <summary>Dimensions joined by x, e.g. <c>1x3x224x224</c>; <c>scalar</c> for rank 0.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Format(_dims);

    private static string Format(ReadOnlySpan<int> dims) => dims.Length == 0 ? "scalar" : string.Join('x', dims.ToArray());
}
