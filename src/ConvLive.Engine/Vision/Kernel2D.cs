// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Vision;

/// <summary>
/// A small square 2-D kernel applied to a grey image as a cross-correlation (the way CNN libraries apply
/// weights: the kernel is not flipped). Immutable.
/// </summary>
public sealed class Kernel2D
{
    private readonly float[] _weights;

    /// <summary>Creates a kernel from row-major weights.</summary>
    /// <param name="name">A short name shown in the app, e.g. <c>vertical</c>.</param>
    /// <param name="size">The side K of the K×K kernel; odd, 1 to 31.</param>
    /// <param name="weights">K·K weights, row by row; copied.</param>
    /// <exception cref="ArgumentException">The size is even or out of range, or the weight count is not K·K.</exception>
    public Kernel2D(string name, int size, ReadOnlySpan<float> weights)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (size < 1 || size > 31 || size % 2 == 0)
        {
            throw new ArgumentException($"kernel '{name}': size {size} must be odd and between 1 and 31", nameof(size));
        }

        if (weights.Length != size * size)
        {
            throw new ArgumentException($"kernel '{name}': {weights.Length} weights given, a {size}x{size} kernel needs {size * size}", nameof(weights));
        }

        Name = name;
        Size = size;
        _weights = weights.ToArray();
        PositiveSum = 0;
        foreach (var w in _weights)
        {
            PositiveSum += MathF.Max(w, 0);
        }
    }

    /// <summary>The lecture's vertical edge detector [-1 0 1; -1 0 1; -1 0 1]: responds to left-right changes.</summary>
    public static Kernel2D Vertical { get; } = new("vertical", 3, [-1, 0, 1, -1, 0, 1, -1, 0, 1]);

    /// <summary>The lecture's horizontal edge detector [-1 -1 -1; 0 0 0; 1 1 1]: responds to top-bottom changes.</summary>
    public static Kernel2D Horizontal { get; } = new("horizontal", 3, [-1, -1, -1, 0, 0, 0, 1, 1, 1]);

    /// <summary>Sobel x [-1 0 1; -2 0 2; -1 0 1].</summary>
    public static Kernel2D SobelX { get; } = new("sobel-x", 3, [-1, 0, 1, -2, 0, 2, -1, 0, 1]);

    /// <summary>Sobel y [-1 -2 -1; 0 0 0; 1 2 1].</summary>
    public static Kernel2D SobelY { get; } = new("sobel-y", 3, [-1, -2, -1, 0, 0, 0, 1, 2, 1]);

    /// <summary>The name shown in the app.</summary>
    public string Name { get; }

    /// <summary>The side K of the K×K kernel (odd).</summary>
    public int Size { get; }

    /// <summary>The K·K weights, row-major. Does not expose the kernel's own array.</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>The sum of the positive weights: the largest response to a unit step, used to scale the colormap.</summary>
    public float PositiveSum { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Size}x{Size}";
}
