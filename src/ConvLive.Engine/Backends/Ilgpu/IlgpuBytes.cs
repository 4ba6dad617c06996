// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ILGPU;
using ILGPU.Runtime;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>An ILGPU backend byte buffer; owns its device memory.</summary>
internal sealed class IlgpuBytes(MemoryBuffer1D<byte, Stride1D.Dense> buffer, int length) : DeviceBytes(length)
{
    public MemoryBuffer1D<byte, Stride1D.Dense> Buffer { get; } = buffer;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Buffer.Dispose();
        }

        base.Dispose(disposing);
    }
}
