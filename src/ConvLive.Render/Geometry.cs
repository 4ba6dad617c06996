// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render;

/// <summary>A rectangle in framebuffer pixels, origin at the top left, y down.</summary>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width, ≥ 0.</param>
/// <param name="Height">Height, ≥ 0.</param>
public readonly record struct RectF(float X, float Y, float Width, float Height)
{
    /// <summary>The right edge.</summary>
    public float Right => X + Width;

    /// <summary>The bottom edge.</summary>
    public float Bottom => Y + Height;

    /// <summary>True when the point lies inside (left and top edges inclusive).</summary>
    /// <param name="x">Point x.</param>
    /// <param name="y">Point y.</param>
    /// <returns>Whether the rectangle holds the point.</returns>
    public bool Contains(float x, float y) => x >= X && x < Right && y >= Y && y < Bottom;

    /// <summary>The largest rectangle of aspect <paramref name="contentWidth"/>:<paramref name="contentHeight"/>
    /// centred inside this one (letterboxing).</summary>
    /// <param name="contentWidth">Content width, any unit.</param>
    /// <param name="contentHeight">Content height, same unit.</param>
    /// <returns>The fitted rectangle.</returns>
    public RectF Fit(float contentWidth, float contentHeight)
    {
        if (contentWidth <= 0 || contentHeight <= 0 || Width <= 0 || Height <= 0)
        {
            return this with { Width = 0, Height = 0 };
        }

        var scale = MathF.Min(Width / contentWidth, Height / contentHeight);
        float w = contentWidth * scale, h = contentHeight * scale;
        return new RectF(X + ((Width - w) / 2), Y + ((Height - h) / 2), w, h);
    }

    /// <summary>This rectangle shrunk by <paramref name="margin"/> on every side.</summary>
    /// <param name="margin">Pixels to take from each side.</param>
    /// <returns>The inner rectangle; empty when the margin is too large.</returns>
    public RectF Inset(float margin) =>
        new(X + margin, Y + margin, MathF.Max(0, Width - (2 * margin)), MathF.Max(0, Height - (2 * margin)));
}

/// <summary>A colour with components in [0, 1].</summary>
/// <param name="R">Red.</param>
/// <param name="G">Green.</param>
/// <param name="B">Blue.</param>
/// <param name="A">Alpha; 1 is opaque.</param>
public readonly record struct Colour(float R, float G, float B, float A = 1f);

/// <summary>How the bytes handed to <see cref="PanelTexture.TryUpload"/> are laid out.</summary>
public enum PixelLayout
{
    /// <summary>3 bytes a pixel, B,G,R (OpenCV's order).</summary>
    Bgr8,

    /// <summary>4 bytes a pixel, R,G,B,A.</summary>
    Rgba8,

    /// <summary>1 byte a pixel, shown as grey.</summary>
    Grey8,

    /// <summary>1 byte a pixel stored four to an RGBA texel (width a multiple of 4): the upload is a plain copy,
    /// where drivers such as llvmpipe convert single-channel uploads pixel by pixel. For the colormap and
    /// channel modes, which fetch texels without filtering.</summary>
    PackedGrey8,

    /// <summary>4 bytes a pixel, B,G,R,A (a fast upload format; OpenCV's BGR with a pad byte).</summary>
    Bgra8,
}
