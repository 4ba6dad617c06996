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

    /// <summary>Laplacian [0 1 0; 1 −4 1; 0 1 0]: responds to spots and thin lines in every direction.</summary>
    public static Kernel2D Laplacian { get; } = new("laplacian", 3, [0, 1, 0, 1, -4, 1, 0, 1, 0]);

    /// <summary>3×3 Gaussian blur [1 2 1; 2 4 2; 1 2 1] / 16.</summary>
    public static Kernel2D Blur { get; } = new("blur", 3, [1 / 16f, 2 / 16f, 1 / 16f, 2 / 16f, 4 / 16f, 2 / 16f, 1 / 16f, 2 / 16f, 1 / 16f]);

    /// <summary>Sharpen [0 −1 0; −1 5 −1; 0 −1 0].</summary>
    public static Kernel2D Sharpen { get; } = new("sharpen", 3, [0, -1, 0, -1, 5, -1, 0, -1, 0]);

    /// <summary>Every named kernel, by the name <c>filter --kernel</c> takes.</summary>
    public static IReadOnlyList<Kernel2D> Named { get; } = [Vertical, Horizontal, SobelX, SobelY, Laplacian, Blur, Sharpen];

    /// <summary>A normalised Gaussian blur of odd <paramref name="size"/> (σ = size/6, so the window holds ±3σ);
    /// size 3 is the binomial [1 2 1]ᵀ[1 2 1]/16 of <see cref="Blur"/>.</summary>
    /// <param name="size">3, 5, 7, …</param>
    /// <returns>The kernel, named "blur" with its size.</returns>
    public static Kernel2D Gaussian(int size)
    {
        if (size < 3 || size % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "a blur needs an odd size of at least 3");
        }

        if (size == 3)
        {
            return Blur;
        }

        var sigma = size / 6.0;
        var row = Enumerable.Range(0, size).Select(i => Math.Exp(-Math.Pow(i - (size / 2), 2) / (2 * sigma * sigma))).ToArray();
        var sum = row.Sum();
        var w = new float[size * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                w[(y * size) + x] = (float)(row[y] * row[x] / (sum * sum));
            }
        }

        return new Kernel2D("blur", size, w);
    }

    /// <summary>The kernel flipped in both axes: applying it as a correlation is the lecture's convolution.</summary>
    /// <returns>The flipped kernel, named "<c>name</c> (flipped)".</returns>
    public Kernel2D Flipped()
    {
        var flipped = new float[_weights.Length];
        for (var i = 0; i < flipped.Length; i++)
        {
            flipped[i] = _weights[_weights.Length - 1 - i];
        }

        return new Kernel2D($"{Name} (flipped)", Size, flipped);
    }

    /// <summary>Reads a kernel from a text file: K lines of K numbers (spaces, commas or tabs), K odd.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The kernel, named after the file.</returns>
    /// <exception cref="FormatException">Not a square odd-sized grid of numbers; the message names the line.</exception>
    public static Kernel2D FromFile(string path)
    {
        var rows = File.ReadAllLines(path)
            .Select(l => l.Split('#')[0].Trim())
            .Where(l => l.Length > 0)
            .ToList();
        var values = new List<float>();
        for (var r = 0; r < rows.Count; r++)
        {
            var cells = rows[r].Split([' ', ',', '\t', ';'], StringSplitOptions.RemoveEmptyEntries);
            if (cells.Length != rows.Count)
            {
                throw new FormatException($"{path}: line {r + 1} has {cells.Length} numbers; a {rows.Count}x{rows.Count} kernel needs {rows.Count} on every line");
            }

            foreach (var cell in cells)
            {
                values.Add(float.TryParse(cell, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v)
                    ? v
                    : throw new FormatException($"{path}: line {r + 1}: '{cell}' is not a number"));
            }
        }

        if (rows.Count % 2 == 0 || rows.Count == 0)
        {
            throw new FormatException($"{path}: {rows.Count} rows; a kernel needs an odd size (3, 5, 7, ...)");
        }

        return new Kernel2D(Path.GetFileNameWithoutExtension(path), rows.Count, values.ToArray());
    }

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
