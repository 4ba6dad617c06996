// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>An ILGPU backend tensor: a view into device memory, owning its buffer unless it is a reshaped view.</summary>
public sealed class IlgpuTensor : DeviceTensor
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _owner;

    internal IlgpuTensor(TensorShape shape, ArrayView<float> view, MemoryBuffer1D<float, Stride1D.Dense>? owner)
        : base(shape)
    {
        View = view;
        _owner = owner;
        Storage = owner ?? (object)this;
        if (owner is not null)
        {
            TrackOwnedStorage();
        }
    }

    /// <summary>The elements on the device.</summary>
    public ArrayView<float> View { get; }

    /// <summary>The buffer the elements live in, the same object for a tensor and its reshaped views.</summary>
    internal object Storage { get; private init; }

    /// <inheritdoc/>
    public override DeviceTensor Reshape(TensorShape shape)
    {
        CheckReshape(shape);
        return new IlgpuTensor(shape, View, null) { Storage = Storage };
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _owner?.Dispose();
        }

        base.Dispose(disposing);
    }
}
