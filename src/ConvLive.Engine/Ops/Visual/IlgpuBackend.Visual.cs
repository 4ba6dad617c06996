// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;
using ILGPU.Runtime;
using ILGPU;

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Frame preprocessing and atlas packing on an ILGPU device.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<float>, PreprocessArgs, int> _preprocess = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<byte>, PackArgs> _pack = null!;

    /// <inheritdoc/>
    public void Preprocess(DeviceTensor y, DeviceBytes bgr, PreprocessParams p) =>
        _preprocess(_stream, Launch(y.Length), CastBytes(bgr).Buffer.View, Cast(y).View, PreprocessArgs.From(p), Launch(y.Length));

    /// <inheritdoc/>
    public void PackTiles(DeviceBytes atlas, DeviceTensor x, TileLayout layout)
    {
        var args = new PackArgs(layout.Offset, layout.AtlasWidth, layout.X, layout.Y, layout.Channels, layout.TileW, layout.TileH, layout.Columns, layout.Gap, x.Length / layout.Channels);
        _pack(_stream, layout.Channels, Cast(x).View, CastBytes(atlas).Buffer.View, args);
    }

    private void LoadVisual()
    {
        _preprocess = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, ArrayView<float>, PreprocessArgs, int>(VisualKernels.Preprocess));
        _pack = Counted(_accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<byte>, PackArgs>(VisualKernels.PackTiles));
    }
}
