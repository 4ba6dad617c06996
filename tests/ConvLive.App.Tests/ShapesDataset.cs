// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using OpenCvSharp;

namespace ConvLive.App.Tests;

/// <summary>
/// A generated three-class picture set (circle, triangle, cross) as an ImageFolder: random colours, sizes,
/// positions and noisy gradient backgrounds at a camera-like 4:3 size, so the classes differ by shape only.
/// </summary>
internal static class ShapesDataset
{
    public static readonly string[] Classes = ["circle", "cross", "triangle"];

    public static void Write(string root, int perClass, int seed, int width = 200, int height = 150)
    {
        var random = new Random(seed);
        for (var c = 0; c < Classes.Length; c++)
        {
            var folder = Directory.CreateDirectory(Path.Combine(root, Classes[c])).FullName;
            for (var i = 0; i < perClass; i++)
            {
                using var image = Draw(c, random, width, height);
                Cv2.ImWrite(Path.Combine(folder, $"{i}.png"), image);
            }
        }
    }

    /// <summary>
    /// The same shapes as a shifted test set: rotated (the cross by up to ±35°), mirrored, rescaled (radius from an
    /// eighth to two fifths of the height, where training pictures have a fifth to a third) and on other
    /// backgrounds (two-colour gradients, stripes, coarse colour noise) than the training pictures' flat noisy ones.
    /// </summary>
    /// <param name="backgrounds">Which backgrounds: 0 gradients, 1 stripes, 2 coarse colour noise (drawn in turn).</param>
    public static void WriteShifted(string root, int perClass, int seed, int[] backgrounds, int width = 200, int height = 150)
    {
        var random = new Random(seed);
        for (var c = 0; c < Classes.Length; c++)
        {
            var folder = Directory.CreateDirectory(Path.Combine(root, Classes[c])).FullName;
            for (var i = 0; i < perClass; i++)
            {
                using var image = Draw(c, random, width, height, shifted: true, background: backgrounds[i % backgrounds.Length]);
                if (random.Next(2) == 0)
                {
                    Cv2.Flip(image, image, FlipMode.Y);
                }

                Cv2.ImWrite(Path.Combine(folder, $"{i}.png"), image);
            }
        }
    }

    public static Mat Draw(int shape, Random random, int width, int height, bool shifted = false, int background = 0)
    {
        Scalar Colour() => new(random.Next(256), random.Next(256), random.Next(256));
        var backgroundColour = Colour();
        var image = shifted ? Background(random, width, height, backgroundColour, Colour(), background) : new Mat(height, width, MatType.CV_8UC3, backgroundColour);
        using (var noise = new Mat(height, width, MatType.CV_8UC3))
        {
            Cv2.Randn(noise, new Scalar(0, 0, 0), new Scalar(12, 12, 12));
            Cv2.Add(image, noise, image);
        }

        // A colour far from the background in at least one channel.
        var fg = Colour();
        while (Math.Abs(fg.Val0 - backgroundColour.Val0) + Math.Abs(fg.Val1 - backgroundColour.Val1) + Math.Abs(fg.Val2 - backgroundColour.Val2) < 200)
        {
            fg = Colour();
        }

        var r = shifted ? random.Next(height / 8, (height * 2) / 5) : random.Next(height / 5, height / 3);
        var centre = new Point(random.Next(r + 5, width - r - 5), random.Next(r + 5, height - r - 5));
        switch (shape)
        {
            case 0:
                Cv2.Circle(image, centre, r, fg, -1, LineTypes.AntiAlias);
                break;
            case 1:
                var t = Math.Max(3, r / 3);
                var turn = shifted ? (random.NextDouble() - 0.5) * 70 * Math.PI / 180 : 0;
                for (var arm = 0; arm < 2; arm++)
                {
                    var along = turn + (Math.PI / 4) + (arm * Math.PI / 2);
                    var (dx, dy) = ((int)Math.Round(r * Math.Sqrt(2) * Math.Cos(along)), (int)Math.Round(r * Math.Sqrt(2) * Math.Sin(along)));
                    Cv2.Line(image, new Point(centre.X - dx, centre.Y - dy), new Point(centre.X + dx, centre.Y + dy), fg, t, LineTypes.AntiAlias);
                }

                break;
            default:
                var a = random.NextDouble() * Math.PI * 2;
                var points = Enumerable.Range(0, 3).Select(k => new Point(
                    centre.X + (int)(r * Math.Cos(a + (k * 2 * Math.PI / 3))),
                    centre.Y + (int)(r * Math.Sin(a + (k * 2 * Math.PI / 3))))).ToArray();
                Cv2.FillPoly(image, [points], fg, LineTypes.AntiAlias);
                break;
        }

        return image;
    }

    /// <summary>A background unlike the training pictures': a gradient between two colours, stripes, or coarse colour noise.</summary>
    private static Mat Background(Random random, int width, int height, Scalar a, Scalar b, int kind)
    {
        var image = new Mat(height, width, MatType.CV_8UC3);
        if (kind == 2)
        {
            using var coarse = new Mat(Math.Max(2, height / 25), Math.Max(2, width / 25), MatType.CV_8UC3);
            Cv2.Randu(coarse, new Scalar(0, 0, 0), new Scalar(256, 256, 256));
            Cv2.Resize(coarse, image, new Size(width, height), 0, 0, InterpolationFlags.Cubic);
            return image;
        }

        var angle = random.NextDouble() * Math.PI;
        var period = random.Next(10, 40);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var u = (x * Math.Cos(angle)) + (y * Math.Sin(angle));
                var f = kind == 0 ? Math.Clamp(0.5 + (u / (width + height)), 0, 1) : ((int)Math.Floor(u / period) & 1);
                image.Set(y, x, new Vec3b((byte)((a.Val0 * (1 - f)) + (b.Val0 * f)), (byte)((a.Val1 * (1 - f)) + (b.Val1 * f)), (byte)((a.Val2 * (1 - f)) + (b.Val2 * f))));
            }
        }

        return image;
    }
}
