// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ConvLive.Capture;

namespace ConvLive.App.Live;

/// <summary>
/// One inferred frame on its way to the display: the frame itself and the stage times. Each pipeline's own result
/// (<see cref="ModelFrameResult"/>, <see cref="KernelsFrameResult"/>) adds what its view draws.
/// </summary>
/// <remarks>A triple-buffer slot: owns its arrays, grows them only when sizes grow, never allocates per frame.</remarks>
internal abstract class FrameResult
{
    /// <summary>The frame as captured.</summary>
    public VideoFrame Frame { get; } = new();

    /// <summary>The frame as B,G,R,A (a fast texture upload), Frame.Width·Frame.Height·4 bytes.</summary>
    public byte[] Bgra { get; private set; } = [];

    /// <summary>The frame's BGRA bytes.</summary>
    public Span<byte> BgraPixels => Bgra.AsSpan(0, Frame.Width * Frame.Height * 4);

    /// <summary>Milliseconds spent preprocessing the frame.</summary>
    public double PreprocessMs { get; set; }

    /// <summary>Milliseconds spent in the network (or the kernel's filter).</summary>
    public double ForwardMs { get; set; }

    /// <summary>Milliseconds spent packing feature maps for the display.</summary>
    public double PackMs { get; set; }

    /// <summary>Copies <paramref name="source"/> into the slot, with its BGRA expansion.</summary>
    protected void PrepareFrame(VideoFrame source)
    {
        Frame.CopyFrom(source);
        var pixels = source.Width * source.Height;
        if (Bgra.Length < pixels * 4)
        {
            Bgra = new byte[pixels * 4];
        }

        ExpandBgr(source.Pixels[..(pixels * 3)], Bgra.AsSpan(0, pixels * 4));
    }

    /// <summary>B,G,R → B,G,R,255, four pixels a 16-byte shuffle where the hardware has one (a byte at a time took
    /// ~0.7 ms of the inference thread for a 640×480 frame).</summary>
    internal static void ExpandBgr(ReadOnlySpan<byte> bgr, Span<byte> bgra)
    {
        int i = 0, o = 0;
        if (Ssse3.IsSupported)
        {
            var order = Vector128.Create((byte)0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80);
            var alpha = Vector128.Create(0xFF000000u).AsByte();
            ref var src = ref MemoryMarshal.GetReference(bgr);
            ref var dst = ref MemoryMarshal.GetReference(bgra);
            for (; i + 16 <= bgr.Length; i += 12, o += 16) // reads 16 bytes, uses 12: stops 4 short of the end
            {
                (Ssse3.Shuffle(Vector128.LoadUnsafe(ref src, (nuint)i), order) | alpha).StoreUnsafe(ref dst, (nuint)o);
            }
        }

        for (; i + 2 < bgr.Length; i += 3, o += 4)
        {
            bgra[o] = bgr[i];
            bgra[o + 1] = bgr[i + 1];
            bgra[o + 2] = bgr[i + 2];
            bgra[o + 3] = 255;
        }
    }
}

/// <summary>The model view's frame: the 8-bit tile atlas of every tapped layer, the output and its top five.</summary>
internal sealed class ModelFrameResult : FrameResult
{
    /// <summary>The 8-bit tile atlas.</summary>
    public byte[] Atlas { get; private set; } = [];

    /// <summary>The network output.</summary>
    public float[] Output { get; private set; } = [];

    /// <summary>Indices of the five largest outputs, largest first (−1 where fewer).</summary>
    public int[] Top { get; } = new int[5];

    /// <summary>Their probabilities.</summary>
    public float[] TopProbabilities { get; } = new float[5];

    /// <summary>The network's own top class (before a trained head replaces the top five), or −1.</summary>
    public int NetworkTop { get; set; } = -1;

    /// <summary>The trained head's class names when its answer replaced the network's top five, else null.</summary>
    public string[]? ClassNames { get; set; }

    /// <summary>The answer is "not sure" when the top probability is under this (0: always a class).</summary>
    public float NotSureBelow { get; set; }

    /// <summary>The network's output held a NaN or an infinity on this frame (no classes, nothing kept from it).</summary>
    public bool NonFinite { get; set; }

    /// <summary>Where the frame falls on the sample map (NaN when the map is hidden or empty).</summary>
    public float MapX { get; set; } = float.NaN;

    /// <summary>See <see cref="MapX"/>.</summary>
    public float MapY { get; set; } = float.NaN;

    /// <summary>The explanation of the network's top class as 8-bit heat (HeatWidth·HeatHeight bytes), when one is shown.</summary>
    public byte[] Heat { get; private set; } = [];

    /// <summary>The heat map's size (0 when no explanation is shown).</summary>
    public int HeatWidth { get; set; }

    /// <inheritdoc cref="HeatWidth"/>
    public int HeatHeight { get; set; }

    /// <summary>Milliseconds the explanation's backward pass took (0 when none ran).</summary>
    public double ExplainMs { get; set; }

    /// <summary>Milliseconds the ascent steps of what a unit wants took after this frame (0 when none ran).</summary>
    public double WantsMs { get; set; }

    /// <summary>Sizes the heat map for <paramref name="pixels"/> values.</summary>
    public Span<byte> HeatFor(int pixels)
    {
        if (Heat.Length < pixels)
        {
            Heat = new byte[pixels];
        }

        return Heat.AsSpan(0, pixels);
    }

    /// <summary>The selected channel's top-9 as an RGBA grid (GridSide² pixels), when a channel layer is selected.</summary>
    public byte[] Grid { get; private set; } = [];

    /// <summary>The grid's side, pixels (0 when none).</summary>
    public int GridSide { get; set; }

    /// <summary>Entries the selected channel holds (0..9).</summary>
    public int GridCount { get; set; }

    /// <summary>The layer the grid is of (a reference to the tap's name; no string is made per frame).</summary>
    public string GridLayer { get; set; } = string.Empty;

    /// <summary>The channel the grid is of.</summary>
    public int GridChannel { get; set; }

    /// <summary>What the unit being maximised wants so far, RGBA (WantsSide² pixels).</summary>
    public byte[] Wants { get; private set; } = [];

    /// <summary>The picture's side (0 when no maximisation runs).</summary>
    public int WantsSide { get; set; }

    /// <summary>Ascent steps taken so far.</summary>
    public int WantsSteps { get; set; }

    /// <summary>The objective at the last step.</summary>
    public float WantsActivation { get; set; }

    /// <summary>What is maximised ("conv2:5", "class 7"); a reference to the maximiser's own string.</summary>
    public string WantsLabel { get; set; } = string.Empty;

    /// <summary>Sizes the grid for a side of <paramref name="side"/> pixels.</summary>
    public Span<byte> GridFor(int side)
    {
        if (Grid.Length < side * side * 4)
        {
            Grid = new byte[side * side * 4];
        }

        return Grid.AsSpan(0, side * side * 4);
    }

    /// <summary>Sizes the maximised picture for a side of <paramref name="side"/> pixels.</summary>
    public Span<byte> WantsFor(int side)
    {
        if (Wants.Length < side * side * 4)
        {
            Wants = new byte[side * side * 4];
        }

        return Wants.AsSpan(0, side * side * 4);
    }

    /// <summary>Copies the frame in and sizes the atlas and output.</summary>
    public void Prepare(VideoFrame source, int atlasBytes, int outputs)
    {
        PrepareFrame(source);
        if (Atlas.Length < atlasBytes)
        {
            Atlas = new byte[atlasBytes];
        }

        if (Output.Length < outputs)
        {
            Output = new float[outputs];
        }
    }
}

/// <summary>The kernels view's frame: the feature map of the selected kernel, coloured, and its shifted-run change.</summary>
internal sealed class KernelsFrameResult : FrameResult
{
    /// <summary>The setting and its arithmetic (or the error that setting gives at this frame size).</summary>
    public KernelsResult? Kernels { get; set; }

    /// <summary>The coloured map, MapWidth·MapHeight·4 bytes RGBA.</summary>
    public byte[] Rgba { get; private set; } = [];

    /// <summary>The map's values.</summary>
    public float[] MapValues { get; private set; } = [];

    /// <summary>The difference from the shifted frame's map.</summary>
    public float[] DiffValues { get; private set; } = [];

    /// <summary>That difference coloured, RGBA.</summary>
    public byte[] DiffRgba { get; private set; } = [];

    /// <summary>The map's width (0 when the setting does not fit the frame).</summary>
    public int MapWidth { get; set; }

    /// <summary>The map's height.</summary>
    public int MapHeight { get; set; }

    /// <summary>How much the map changed under the shift (translation equivariance).</summary>
    public Engine.Teaching.ShiftChange Change { get; set; }

    /// <summary>Copies the frame in and sizes the maps for <paramref name="mapPixels"/> positions.</summary>
    public void Prepare(VideoFrame source, int mapPixels)
    {
        PrepareFrame(source);
        if (MapValues.Length < mapPixels)
        {
            MapValues = new float[mapPixels];
            DiffValues = new float[mapPixels];
            DiffRgba = new byte[mapPixels * 4];
        }

        if (Rgba.Length < mapPixels * 4)
        {
            Rgba = new byte[mapPixels * 4];
        }
    }
}
