// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>A CPU backend tensor: a managed array (shared by views).</summary>
public sealed class CpuTensor : DeviceTensor
{
    internal CpuTensor(TensorShape shape, float[] data, bool owns = false)
        : base(shape)
    {
        Data = data;
        if (owns)
        {
            TrackOwnedStorage();
        }
    }

    /// <summary>The elements, row-major; length ≥ <see cref="DeviceTensor.Length"/>.</summary>
    public float[] Data { get; }

    /// <summary>True when <see cref="Data"/> is an array the caller handed to <see cref="CpuBackend.Constant"/>: read-only.</summary>
    internal bool SharesCallerArray { get; init; }

    /// <summary>The valid elements.</summary>
    public Span<float> Span => Data.AsSpan(0, Length);

    /// <inheritdoc/>
    public override DeviceTensor Reshape(TensorShape shape)
    {
        CheckReshape(shape);
        return new CpuTensor(shape, Data) { SharesCallerArray = SharesCallerArray };
    }
}
