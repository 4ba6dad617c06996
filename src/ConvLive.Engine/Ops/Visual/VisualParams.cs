// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Ops;

/// <summary>
/// Frame to network input: a centre crop of the BGR frame (its shorter side scaled to Resize, then Size×Size cut
/// from the middle) resampled bilinearly, then per channel (pixel·Scale − Mean[c]) / Std[c], in RGB or BGR order.
/// </summary>
/// <param name="FrameWidth">Frame width, pixels.</param>
/// <param name="FrameHeight">Frame height, pixels.</param>
/// <param name="Size">Network input side.</param>
/// <param name="CropX">Left of the crop in frame pixels.</param>
/// <param name="CropY">Top of the crop in frame pixels.</param>
/// <param name="CropSide">Side of the square crop in frame pixels.</param>
/// <param name="Bgr">Channel 0 is blue (model zoo AlexNet) rather than red.</param>
/// <param name="Scale">Multiplies 0–255 pixels first.</param>
/// <param name="Mean0">Mean of channel 0 (in the model's order).</param>
/// <param name="Mean1">Mean of channel 1.</param>
/// <param name="Mean2">Mean of channel 2.</param>
/// <param name="Std0">Std of channel 0.</param>
/// <param name="Std1">Std of channel 1.</param>
/// <param name="Std2">Std of channel 2.</param>
public readonly record struct PreprocessParams(int FrameWidth, int FrameHeight, int Size, float CropX, float CropY, float CropSide, bool Bgr, float Scale, float Mean0, float Mean1, float Mean2, float Std0, float Std1, float Std2)
{
    /// <summary>Geometry for a frame: resize the shorter side to <paramref name="resize"/>, cut <paramref name="size"/> from the centre.</summary>
    /// <returns>The parameters with crop filled in.</returns>
    public static PreprocessParams Create(int frameWidth, int frameHeight, int size, int resize, bool bgr, float scale, float[] mean, float[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        var shorter = Math.Min(frameWidth, frameHeight);
        var side = shorter * (float)size / Math.Max(resize, size);
        return new PreprocessParams(frameWidth, frameHeight, size, (frameWidth - side) / 2, (frameHeight - side) / 2, side, bgr, scale, mean[0], mean[1], mean[2], std[0], std[1], std[2]);
    }
}

/// <summary>
/// Where a tapped value goes in the tile atlas: Channels tiles of TileW×TileH bytes in a grid of Columns, each
/// tile min-max normalised on its own (a flat tile is 0), at byte Offset of an atlas AtlasWidth bytes wide.
/// A fully connected vector is one tile whose pixels are its neurons in row-major order.
/// </summary>
public readonly record struct TileLayout(int Offset, int AtlasWidth, int X, int Y, int Channels, int TileW, int TileH, int Columns, int Gap)
{
    /// <summary>Rows of tiles.</summary>
    public int Rows => (Channels + Columns - 1) / Columns;

    /// <summary>Width of the block in the atlas.</summary>
    public int Width => (Columns * (TileW + Gap)) - Gap;

    /// <summary>Height of the block in the atlas.</summary>
    public int Height => (Rows * (TileH + Gap)) - Gap;

    /// <summary>Top-left of tile c inside the atlas, pixels.</summary>
    /// <param name="c">The channel.</param>
    /// <returns>The atlas coordinates.</returns>
    public (int X, int Y) TileOrigin(int c) => (X + ((c % Columns) * (TileW + Gap)), Y + ((c / Columns) * (TileH + Gap)));
}
