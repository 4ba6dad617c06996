// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// Floats starting on a 64-byte boundary: a pinned array (it never moves) and the pointer to its first aligned
/// element. A .NET array's elements start wherever the allocator put the object, so 512-bit loads and stores on
/// them straddle two cache lines most of the time (and 256-bit ones half of the time); the register tiles and the
/// Winograd transforms read and write their operands this way millions of times a forward.
/// </summary>
internal sealed unsafe class AlignedFloats
{
    private const int AlignBytes = 64;
    private const int Slack = AlignBytes / sizeof(float);

    // Kept so the pinned array lives as long as this object; the pointer below points into it.
    private readonly float[] _array;

    public AlignedFloats(long length)
    {
        Length = length;
        _array = GC.AllocateArray<float>(checked((int)(length + Slack)), pinned: true);
        fixed (float* first = _array)
        {
            var misalignment = (int)((nint)first & (AlignBytes - 1)) / sizeof(float);
            Pointer = first + ((Slack - misalignment) % Slack);
        }
    }

    /// <summary>An empty buffer, for fields before the first call.</summary>
    public static AlignedFloats Empty { get; } = new(0);

    /// <summary>The first element, 64-byte aligned.</summary>
    public float* Pointer { get; }

    public long Length { get; }

    public Span<float> Span => new(Pointer, (int)Length);

    /// <summary>Makes <paramref name="buffer"/> at least <paramref name="length"/> long (its contents are then undefined).</summary>
    public static void Grow(ref AlignedFloats buffer, long length)
    {
        if (buffer.Length < length)
        {
            buffer = new AlignedFloats(length);
        }
    }
}
