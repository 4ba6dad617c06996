// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Graph;

/// <summary>A node's attributes by name, typed on read.</summary>
public sealed class NodeAttributes
{
    private readonly Dictionary<string, object> _values;

    /// <summary>Creates the set.</summary>
    /// <param name="values">Values: long, float, string, long[], float[], string[] or <see cref="HostValue"/>.</param>
    public NodeAttributes(Dictionary<string, object> values) => _values = values;

    /// <summary>The attribute names present.</summary>
    public IEnumerable<string> Names => _values.Keys;

    /// <summary>True when the attribute is present.</summary>
    /// <param name="name">The attribute.</param>
    /// <returns>Whether it is present.</returns>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>An integer attribute, or <paramref name="fallback"/>.</summary>
    /// <param name="name">The attribute.</param>
    /// <param name="fallback">The default.</param>
    /// <returns>The value.</returns>
    public long Int(string name, long fallback) => Get(name, fallback);

    /// <summary>A float attribute, or <paramref name="fallback"/>.</summary>
    /// <param name="name">The attribute.</param>
    /// <param name="fallback">The default.</param>
    /// <returns>The value.</returns>
    public float Float(string name, float fallback) => Get(name, fallback);

    /// <summary>A string attribute, or <paramref name="fallback"/>.</summary>
    /// <param name="name">The attribute.</param>
    /// <param name="fallback">The default.</param>
    /// <returns>The value.</returns>
    public string String(string name, string fallback) => Get(name, fallback);

    /// <summary>An integer-list attribute, or null.</summary>
    /// <param name="name">The attribute.</param>
    /// <returns>The values or null.</returns>
    public long[]? Ints(string name) => _values.TryGetValue(name, out var v) ? v as long[] ?? throw Wrong(name, "a list of integers") : null;

    /// <summary>A tensor attribute, or null.</summary>
    /// <param name="name">The attribute.</param>
    /// <returns>The tensor or null.</returns>
    public HostValue? Tensor(string name) => _values.TryGetValue(name, out var v) ? v as HostValue ?? throw Wrong(name, "a tensor") : null;

    /// <summary>Any attribute's raw value, or null.</summary>
    /// <param name="name">The attribute.</param>
    /// <returns>The value or null.</returns>
    public object? Raw(string name) => _values.GetValueOrDefault(name);

    private T Get<T>(string name, T fallback)
    {
        if (!_values.TryGetValue(name, out var v))
        {
            return fallback;
        }

        return v is T t ? t : throw Wrong(name, typeof(T).Name);
    }

    private static ModelException Wrong(string name, string expected) => new($"attribute '{name}' is not {expected}");
}
