// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Training;

/// <summary>
/// How augmented views of a captured picture are drawn, so a few frames from one angle and one light stand for the
/// object seen otherwise: a random crop of the picture (a share of the centre square's area, aspect ratio 3:4 to 4:3,
/// anywhere in the frame, a little larger than the square too, so objects also shrink), a horizontal mirror half the
/// time, a small rotation, brightness, contrast and saturation jitter, and sometimes a blur. View 0 of every picture
/// is the plain preprocessing, so the picture itself is always among its views.
/// </summary>
/// <param name="Views">Views per picture, the plain one included (1: no augmentation).</param>
/// <param name="MinArea">Smallest crop, as a share of the centre square's area.</param>
/// <param name="MaxScale">Largest crop side, as a multiple of the centre square's (past 1 the object shrinks).</param>
/// <param name="MaxRotationDegrees">Rotation drawn from ±this.</param>
/// <param name="Mirror">Mirror half the views.</param>
/// <param name="ColourJitter">Brightness, contrast and saturation each drawn from 1 ± this.</param>
/// <param name="BlurChance">Share of views blurred.</param>
/// <param name="MaxBlur">Largest blur σ, in network-input pixels.</param>
public sealed record AugmentPolicy(int Views = 16, float MinArea = 0.3f, float MaxScale = 1.25f, float MaxRotationDegrees = 25f, bool Mirror = true, float ColourJitter = 0.35f, float BlurChance = 0.3f, float MaxBlur = 1.5f)
{
    /// <summary>No augmentation: each picture once, as the live view sees it.</summary>
    public static AugmentPolicy None { get; } = new(Views: 1);

    /// <summary>True when pictures get more than their plain view.</summary>
    public bool Enabled => Views > 1;

    /// <summary>A short description for reports and cache keys (every field, invariant culture).</summary>
    public string Describe() => Enabled
        ? FormattableString.Invariant($"{Views} views: crop area {MinArea:0.##}-{MaxScale * MaxScale:0.##}, rotation ±{MaxRotationDegrees:0.#}°, {(Mirror ? "mirror, " : string.Empty)}colour ±{ColourJitter:0.##}, blur {BlurChance:0.##} up to σ {MaxBlur:0.##}")
        : "off";

    /// <summary>Every field exactly, for keys of cached features (a change of any gives other views).</summary>
    public string Key() => FormattableString.Invariant($"views {Views} area {MinArea:R} scale {MaxScale:R} rotation {MaxRotationDegrees:R} mirror {Mirror} colour {ColourJitter:R} blur {BlurChance:R}/{MaxBlur:R}");

    /// <summary>View <paramref name="index"/> of a picture: 0 is the plain preprocessing, the others random.</summary>
    /// <param name="index">Which view.</param>
    /// <param name="p">The picture's preprocessing (its size and centre crop).</param>
    /// <param name="random">The draw.</param>
    /// <returns>The view.</returns>
    public AugmentView Draw(int index, PreprocessParams p, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (index == 0 || !Enabled)
        {
            return AugmentView.Identity(p);
        }

        float Uniform(float lo, float hi) => lo + ((hi - lo) * random.NextSingle());
        var side = p.CropSide;
        var area = Uniform(MinArea, MaxScale * MaxScale);
        var ratio = MathF.Exp(Uniform(MathF.Log(3f / 4), MathF.Log(4f / 3)));
        var cw = side * MathF.Sqrt(area * ratio);
        var ch = side * MathF.Sqrt(area / ratio);

        // The crop's centre anywhere that keeps it inside the frame (the middle when it is larger than the frame).
        var cx = Centre(p.FrameWidth, cw, random);
        var cy = Centre(p.FrameHeight, ch, random);
        var angle = Uniform(-MaxRotationDegrees, MaxRotationDegrees) * MathF.PI / 180f;
        var (sin, cos) = MathF.SinCos(angle);
        var flip = Mirror && random.Next(2) == 0 ? -1f : 1f;
        var brightness = Uniform(1 - ColourJitter, 1 + ColourJitter);
        var contrast = Uniform(1 - ColourJitter, 1 + ColourJitter);
        var saturation = Uniform(1 - ColourJitter, 1 + ColourJitter);
        var blur = random.NextSingle() < BlurChance ? Uniform(0.3f, MaxBlur) : 0f;

        // Output (u, v) in [0, Size]² maps to the frame point centre + R(angle)·(flip·cw·(u/Size − ½), ch·(v/Size − ½)).
        var s = (float)p.Size;
        return new AugmentView(
            cos * flip * cw / s, -sin * ch / s, cx - (cos * flip * cw / 2) + (sin * ch / 2),
            sin * flip * cw / s, cos * ch / s, cy - (sin * flip * cw / 2) - (cos * ch / 2),
            brightness, contrast, saturation, blur);
    }

    private static float Centre(int frame, float crop, Random random) =>
        crop >= frame ? frame / 2f : (crop / 2) + (random.NextSingle() * (frame - crop));
}
