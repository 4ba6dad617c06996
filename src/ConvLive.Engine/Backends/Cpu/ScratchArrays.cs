// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Arrays an op keeps between calls: grown when a call needs more, never shrunk, never allocated per call.</summary>
internal static class ScratchArrays
{
    /// <summary>Makes <paramref name="array"/> at least <paramref name="length"/> long (its contents are then undefined).</summary>
    public static void Grow<T>(ref T[] array, long length)
    {
        if (array.Length < length)
        {
            array = new T[length];
        }
    }

    /// <summary>
    /// Where weights packed for an op's register tiles go, 64-byte aligned: a new buffer when the weights are constant
    /// (the caller keeps it on the tensor, so it is packed once per model), else the op's own scratch, zeroed (weights
    /// being trained change every call and are packed every call).
    /// </summary>
    public static AlignedFloats ForPacking(CpuTensor weights, ref AlignedFloats scratch, long length)
    {
        if (weights.IsConstant)
        {
            return new AlignedFloats(length);
        }

        AlignedFloats.Grow(ref scratch, length);
        scratch.Span[..(int)length].Clear();
        return scratch;
    }
}
