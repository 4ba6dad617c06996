// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends;

/// <summary>
/// A ledger of the buffers every backend holds (tensors that own storage and byte buffers), so a long run can
/// show that device memory stays flat. Views own nothing and are not counted. Thread safe.
/// </summary>
public static class DeviceMemory
{
    private static long _buffers;
    private static long _bytes;

    /// <summary>Buffers allocated and not yet disposed, across all backends.</summary>
    public static long LiveBuffers => Interlocked.Read(ref _buffers);

    /// <summary>Their bytes.</summary>
    public static long LiveBytes => Interlocked.Read(ref _bytes);

    internal static void Add(long bytes)
    {
        Interlocked.Increment(ref _buffers);
        Interlocked.Add(ref _bytes, bytes);
    }

    internal static void Remove(long bytes)
    {
        Interlocked.Decrement(ref _buffers);
        Interlocked.Add(ref _bytes, -bytes);
    }
}
