// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Frame preprocessing and tile packing for the live view.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public DeviceBytes AllocateBytes(int length) => new CpuBytes(length);

    /// <inheritdoc/>
    public void UploadBytes(DeviceBytes destination, ReadOnlySpan<byte> source) => source.CopyTo(CastBytes(destination).Data);

    /// <inheritdoc/>
    public void DownloadBytes(Span<byte> destination, DeviceBytes source) => CastBytes(source).Data.AsSpan(0, destination.Length).CopyTo(destination);

    /// <inheritdoc/>
    public void Preprocess(DeviceTensor y, DeviceBytes bgr, PreprocessParams p)
    {
        _preprocess.Set(Cast(y).Data, CastBytes(bgr).Data, p);
        _workers.For(3 * p.Size, _preprocess);
    }

    /// <inheritdoc/>
    public void PackTiles(DeviceBytes atlas, DeviceTensor x, TileLayout layout)
    {
        _pack.Set(CastBytes(atlas).Data, Cast(x).Data, x.Length / layout.Channels, layout);
        _workers.For(layout.Channels, _pack);
    }

    /// <summary>One output row of one channel per work item.</summary>
    private sealed class PreprocessJob : IWorkItem
    {
        private float[] _y = [];
        private byte[] _frame = [];
        private PreprocessParams _p;

        public void Set(float[] y, byte[] frame, PreprocessParams p) => (_y, _frame, _p) = (y, frame, p);

        public void Run(int row)
        {
            var p = _p;
            var frame = _frame;
            var step = p.CropSide / p.Size;
            int c = row / p.Size, oy = row % p.Size;
            var source = p.Bgr ? c : 2 - c;
            var (mean, std) = c switch { 0 => (p.Mean0, p.Std0), 1 => (p.Mean1, p.Std1), _ => (p.Mean2, p.Std2) };
            var scale = p.Scale / std;
            var offset = -mean / std;
            var sy = Math.Clamp(p.CropY + ((oy + 0.5f) * step) - 0.5f, 0f, p.FrameHeight - 1);
            var y0 = (int)sy;
            var y1 = Math.Min(y0 + 1, p.FrameHeight - 1);
            var fy = sy - y0;
            var dst = _y.AsSpan(row * p.Size, p.Size);
            for (var ox = 0; ox < p.Size; ox++)
            {
                var sx = Math.Clamp(p.CropX + ((ox + 0.5f) * step) - 0.5f, 0f, p.FrameWidth - 1);
                var x0 = (int)sx;
                var x1 = Math.Min(x0 + 1, p.FrameWidth - 1);
                var fx = sx - x0;
                float a = frame[(((y0 * p.FrameWidth) + x0) * 3) + source], b = frame[(((y0 * p.FrameWidth) + x1) * 3) + source];
                float d = frame[(((y1 * p.FrameWidth) + x0) * 3) + source], e = frame[(((y1 * p.FrameWidth) + x1) * 3) + source];
                var v = ((a + ((b - a) * fx)) * (1 - fy)) + ((d + ((e - d) * fx)) * fy);
                dst[ox] = (v * scale) + offset;
            }
        }
    }

    /// <summary>One channel's tile per work item.</summary>
    private sealed class PackJob : IWorkItem
    {
        private byte[] _atlas = [];
        private float[] _x = [];
        private int _plane;
        private TileLayout _layout;

        public void Set(byte[] atlas, float[] x, int plane, TileLayout layout) => (_atlas, _x, _plane, _layout) = (atlas, x, plane, layout);

        public void Run(int c)
        {
            var layout = _layout;
            ReadOnlySpan<float> values = _x.AsSpan(c * _plane, _plane);
            var (min, max) = MinMax(values);
            var scale = max > min ? 255f / (max - min) : 0f;
            var offset = 0.5f - (min * scale);
            var (tx, ty) = layout.TileOrigin(c);
            for (var row = 0; row < layout.TileH; row++)
            {
                var dst = _atlas.AsSpan(layout.Offset + ((ty + row) * layout.AtlasWidth) + tx, layout.TileW);
                var start = row * layout.TileW;
                var count = Math.Clamp(_plane - start, 0, layout.TileW);
                var src = values.Slice(Math.Min(start, _plane), count);
                ToBytes(src, dst[..count], scale, offset);
                dst[count..].Clear();
            }
        }
    }

    /// <summary>The least and greatest of <paramref name="values"/> in one pass (TensorPrimitives' Min then Max read
    /// each plane twice); NaN for both where any value is NaN, as they gave. Empty: (+∞, −∞).</summary>
    internal static (float Min, float Max) MinMax(ReadOnlySpan<float> values)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            // 128-bit machines: TensorPrimitives' two vectorised passes beat one scalar one.
            return values.IsEmpty ? (float.PositiveInfinity, float.NegativeInfinity) : (TensorPrimitives.Min(values), TensorPrimitives.Max(values));
        }

        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        var ordered = true;
        var i = 0;
        if (values.Length >= 16)
        {
            ref var s = ref MemoryMarshal.GetReference(values);
            Vector256<float> lo0 = Vector256.Create(min), lo1 = lo0, hi0 = Vector256.Create(max), hi1 = hi0;
            var same = Vector256<float>.AllBitsSet;
            for (; i + 16 <= values.Length; i += 16)
            {
                var a = Vector256.LoadUnsafe(ref s, (nuint)i);
                var b = Vector256.LoadUnsafe(ref s, (nuint)i + 8);
                (lo0, lo1) = (Vector256.MinNative(lo0, a), Vector256.MinNative(lo1, b));
                (hi0, hi1) = (Vector256.MaxNative(hi0, a), Vector256.MaxNative(hi1, b));
                same &= Vector256.Equals(a, a) & Vector256.Equals(b, b); // false lanes: a NaN went by
            }

            var lo = Vector256.MinNative(lo0, lo1);
            var hi = Vector256.MaxNative(hi0, hi1);
            for (var lane = 0; lane < Vector256<float>.Count; lane++)
            {
                min = Math.Min(min, lo.GetElement(lane));
                max = Math.Max(max, hi.GetElement(lane));
            }

            ordered = same.AsInt32() == Vector256<int>.AllBitsSet; // as integers: all bits set is a NaN as floats
        }

        for (; i < values.Length; i++)
        {
            var v = values[i];
            ordered &= !float.IsNaN(v);
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        return ordered ? (min, max) : (float.NaN, float.NaN);
    }

    /// <summary>dst = (byte)clamp(src·scale + offset, 0, 255), 32 at a time (NaN becomes 0).</summary>
    private static void ToBytes(ReadOnlySpan<float> src, Span<byte> dst, float scale, float offset)
    {
        var col = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vs = Vector256.Create(scale), vo = Vector256.Create(offset), lo = Vector256<float>.Zero, hi = Vector256.Create(255f);
            ref var s = ref MemoryMarshal.GetReference(src);
            ref var d = ref MemoryMarshal.GetReference(dst);
            for (; col + 32 <= src.Length; col += 32)
            {
                var a = Convert(Vector256.LoadUnsafe(ref s, (nuint)col));
                var b = Convert(Vector256.LoadUnsafe(ref s, (nuint)col + 8));
                var c = Convert(Vector256.LoadUnsafe(ref s, (nuint)col + 16));
                var e = Convert(Vector256.LoadUnsafe(ref s, (nuint)col + 24));
                Vector256.Narrow(Vector256.Narrow(a, b).AsUInt16(), Vector256.Narrow(c, e).AsUInt16()).StoreUnsafe(ref d, (nuint)col);
            }

            // Feature maps are often narrower than 32 (13×13 in AlexNet's later layers): 8 at a time after that.
            for (; col + 8 <= src.Length; col += 8)
            {
                var a = Convert(Vector256.LoadUnsafe(ref s, (nuint)col));
                var bytes = Vector256.Narrow(Vector256.Narrow(a, a).AsUInt16(), Vector256.Narrow(a, a).AsUInt16());
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, col), bytes.AsUInt64().GetElement(0));
            }

            Vector256<int> Convert(Vector256<float> v) =>
                Vector256.ConvertToInt32(Vector256.MinNative(Vector256.MaxNative(Vector256.FusedMultiplyAdd(v, vs, vo), lo), hi));
        }

        for (; col < src.Length; col++)
        {
            var v = (src[col] * scale) + offset;
            dst[col] = v >= 0f ? (byte)Math.Min(v, 255f) : (byte)0;
        }
    }

    private static CpuBytes CastBytes(DeviceBytes b) =>
        b as CpuBytes ?? throw new ArgumentException($"a {b?.GetType().Name ?? "null"} buffer was handed to the CPU backend");
}

/// <summary>A CPU backend byte buffer.</summary>
internal sealed class CpuBytes(int length) : DeviceBytes(length)
{
    public byte[] Data { get; } = new byte[length];
}
