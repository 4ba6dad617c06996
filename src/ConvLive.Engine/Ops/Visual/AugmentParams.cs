// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Ops;

/// <summary>
/// One augmented view of a frame, on top of <see cref="PreprocessParams"/>' normalisation (its crop is not used).
/// Geometry: output pixel (ox, oy) samples the frame bilinearly (edges clamped) at
/// (sx, sy) = (M00·(ox+½) + M01·(oy+½) + M02 − ½, M10·(ox+½) + M11·(oy+½) + M12 − ½): any crop, scale, rotation and
/// mirror; the identity view is M = (step, 0, CropX; 0, step, CropY). Blur: with Blur = σ &gt; 0 (output pixels), the
/// 3×3 neighbourhood of samples one output pixel apart, weighted exp(−(dx²+dy²)/2σ²) and normalised. Colour, on
/// the blurred 0–255 RGB: v ← g + Saturation·(v − g) with g = 0.299R + 0.587G + 0.114B; v ← 128 + Contrast·(v − 128);
/// v ← Brightness·v; clamped to [0, 255]; then normalised as <see cref="PreprocessParams"/> says.
/// </summary>
/// <param name="M00">Frame x per output x.</param>
/// <param name="M01">Frame x per output y.</param>
/// <param name="M02">Frame x offset.</param>
/// <param name="M10">Frame y per output x.</param>
/// <param name="M11">Frame y per output y.</param>
/// <param name="M12">Frame y offset.</param>
/// <param name="Brightness">Multiplier (1: none).</param>
/// <param name="Contrast">About mid-grey (1: none).</param>
/// <param name="Saturation">About the pixel's grey (1: none, 0: grey).</param>
/// <param name="Blur">Gaussian σ in output pixels (0: none).</param>
public readonly record struct AugmentView(float M00, float M01, float M02, float M10, float M11, float M12, float Brightness, float Contrast, float Saturation, float Blur)
{
    /// <summary>The view <see cref="PreprocessParams"/> itself gives: its centre crop, no colour change, no blur.</summary>
    /// <param name="p">The preprocessing.</param>
    /// <returns>The identity view.</returns>
    public static AugmentView Identity(PreprocessParams p)
    {
        var step = p.CropSide / p.Size;
        return new AugmentView(step, 0, p.CropX, 0, step, p.CropY, 1, 1, 1, 0);
    }
}
