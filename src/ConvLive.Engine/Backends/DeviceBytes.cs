// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends;

/// <summary>A byte buffer in a backend's memory: camera frames going in, packed 8-bit tiles coming out.</summary>
/// <remarks>Owns its storage.</remarks>
public abstract class DeviceBytes : IDisposable
{
    private bool _released;

    /// <summary>Sets the length.</summary>
    /// <param name="length">Bytes.</param>
    protected DeviceBytes(int length)
    {
        Length = length;
        DeviceMemory.Add(length);
    }

    /// <summary>Length in bytes.</summary>
    public int Length { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_released)
        {
            _released = true;
            DeviceMemory.Remove(Length);
        }

        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the storage.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}
