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

    public static Mat Draw(int shape, Random random, int width, int height)
    {
        Scalar Colour() => new(random.Next(256), random.Next(256), random.Next(256));
        var background = Colour();
        var image = new Mat(height, width, MatType.CV_8UC3, background);
        using (var noise = new Mat(height, width, MatType.CV_8UC3))
        {
            Cv2.Randn(noise, new Scalar(0, 0, 0), new Scalar(12, 12, 12));
            Cv2.Add(image, noise, image);
        }

        // A colour far from the background in at least one channel.
        var fg = Colour();
        while (Math.Abs(fg.Val0 - background.Val0) + Math.Abs(fg.Val1 - background.Val1) + Math.Abs(fg.Val2 - background.Val2) < 200)
        {
            fg = Colour();
        }

        var r = random.Next(height / 5, height / 3);
        var centre = new Point(random.Next(r + 5, width - r - 5), random.Next(r + 5, height - r - 5));
        switch (shape)
        {
            case 0:
                Cv2.Circle(image, centre, r, fg, -1, LineTypes.AntiAlias);
                break;
            case 1:
                var t = Math.Max(3, r / 3);
                Cv2.Line(image, new Point(centre.X - r, centre.Y - r), new Point(centre.X + r, centre.Y + r), fg, t, LineTypes.AntiAlias);
                Cv2.Line(image, new Point(centre.X - r, centre.Y + r), new Point(centre.X + r, centre.Y - r), fg, t, LineTypes.AntiAlias);
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
}
