// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Capture;

namespace ConvLive.App.Live;

/// <summary>
/// One inferred frame on its way to the display: the frame itself plus what the pipeline made of it (an edge
/// map, or a model's tile atlas, output and top classes).
/// </summary>
/// <remarks>A triple-buffer slot: owns its arrays, grows them only when sizes grow, never allocates per frame.</remarks>
internal sealed class FrameResult
{
    public VideoFrame Frame { get; } = new();

    /// <summary>Edge view: the coloured map, Frame.Width·Frame.Height·4 bytes RGBA.</summary>
    public byte[] Rgba { get; private set; } = [];

    /// <summary>The frame as B,G,R,A (a fast texture upload), Frame.Width·Frame.Height·4 bytes.</summary>
    public byte[] Bgra { get; private set; } = [];

    public Span<byte> BgraPixels => Bgra.AsSpan(0, Frame.Width * Frame.Height * 4);

    /// <summary>Model view: the 8-bit tile atlas.</summary>
    public byte[] Atlas { get; private set; } = [];

    /// <summary>Model view: the network output.</summary>
    public float[] Output { get; private set; } = [];

    /// <summary>Model view: indices of the five largest outputs, largest first.</summary>
    public int[] Top { get; } = new int[5];

    /// <summary>Model view: probabilities of <see cref="Top"/> (softmax applied when the output is logits).</summary>
    public float[] TopProbabilities { get; } = new float[5];

    /// <summary>Model view: names for <see cref="Top"/> when a trained head classified the frame, else null (the model's own labels).</summary>
    public string[]? ClassNames { get; set; }

    /// <summary>Kernels view: the setting and arithmetic this frame was made with.</summary>
    public KernelsResult? Kernels { get; set; }

    /// <summary>Kernels view: the final map's values, MapWidth·MapHeight.</summary>
    public float[] MapValues { get; private set; } = [];

    /// <summary>Kernels view: |shifted − unshifted| of the final map.</summary>
    public float[] DiffValues { get; private set; } = [];

    /// <summary>Kernels view: the difference coloured, RGBA.</summary>
    public byte[] DiffRgba { get; private set; } = [];

    public int MapWidth { get; set; }

    public int MapHeight { get; set; }

    /// <summary>Kernels view: how much the maps changed with the shift.</summary>
    public Engine.Teaching.ShiftChange Change { get; set; }

    public double PreprocessMs { get; set; }

    public double ForwardMs { get; set; }

    public double PackMs { get; set; }

    public Span<byte> RgbaPixels => Rgba.AsSpan(0, Frame.Width * Frame.Height * 4);

    /// <summary>B,G,R → B,G,R,255, a pixel at a time (≈1 ms for 640×480; on the inference thread, off the display's path).</summary>
    internal static void ExpandBgr(ReadOnlySpan<byte> bgr, Span<byte> bgra)
    {
        for (int i = 0, o = 0; i + 2 < bgr.Length; i += 3, o += 4)
        {
            bgra[o] = bgr[i];
            bgra[o + 1] = bgr[i + 1];
            bgra[o + 2] = bgr[i + 2];
            bgra[o + 3] = 255;
        }
    }

    public void EnsureMap(int pixels)
    {
        if (MapValues.Length < pixels)
        {
            MapValues = new float[pixels];
            DiffValues = new float[pixels];
            DiffRgba = new byte[pixels * 4];
        }
    }

    public void Prepare(VideoFrame source, int rgbaBytes, int atlasBytes, int outputs)
    {
        Frame.CopyFrom(source);
        var pixels = source.Width * source.Height;
        if (Bgra.Length < pixels * 4)
        {
            Bgra = new byte[pixels * 4];
        }

        ExpandBgr(source.Pixels, Bgra.AsSpan(0, pixels * 4));
        if (Rgba.Length < rgbaBytes)
        {
            Rgba = new byte[rgbaBytes];
        }

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
