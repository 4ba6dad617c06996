// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Backends;

/// <summary>A float32 tensor in a backend's memory (host arrays for the CPU backend, device buffers for ILGPU).</summary>
/// <remarks>Owns its storage unless it is a view made by <see cref="Reshape"/>, which owns nothing.</remarks>
public abstract class DeviceTensor : IDisposable
{
    private long _ownedBytes;

    /// <summary>Sets the shape.</summary>
    /// <param name="shape">The shape.</param>
    protected DeviceTensor(TensorShape shape) => Shape = shape;

    /// <summary>The shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>Element count.</summary>
    public int Length => Shape.Length;

    /// <summary>
    /// Set by the model compiler on weights and other initializers: only an upload changes them, so a backend may
    /// keep a form derived from them (packed convolution weights) and reuse it until the next upload.
    /// </summary>
    public bool IsConstant { get; internal set; }

    /// <summary>
    /// A backend's derived form of this tensor (packed or compressed weights of a constant, or a view of the
    /// tensor's own storage); cleared by every upload into it.
    /// </summary>
    internal object? Derived { get; set; }

    /// <summary>A view of the same elements with another shape of the same length; owns nothing.</summary>
    /// <param name="shape">The new shape.</param>
    /// <returns>The view.</returns>
    public abstract DeviceTensor Reshape(TensorShape shape);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownedBytes > 0)
        {
            DeviceMemory.Remove(_ownedBytes);
            _ownedBytes = 0;
        }

        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the storage when owned.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Counts this tensor's storage in <see cref="DeviceMemory"/> until it is disposed (owning tensors only).</summary>
    protected void TrackOwnedStorage()
    {
        _ownedBytes = 4L * Math.Max(1, Length);
        DeviceMemory.Add(_ownedBytes);
    }

    /// <summary>Checks a view keeps the element count.</summary>
    /// <param name="shape">The new shape.</param>
    protected void CheckReshape(TensorShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length != Length)
        {
            throw new ArgumentException($"cannot view {Shape} ({Length} elements) as {shape} ({shape.Length} elements)");
        }
    }
}
