// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Engine.IO;

namespace ConvLive.App.Training;

/// <summary>One picture of a class.</summary>
/// <param name="Path">The file.</param>
/// <param name="Label">Its class index.</param>
internal sealed record ImageSample(string Path, int Label);

/// <summary>
/// A data set as an ImageFolder: ROOT/&lt;class&gt;/&lt;n&gt;.png (any image OpenCV decodes). Classes are the folder
/// names in ordinal order; pictures within a class in number order. Temporary files of an interrupted save are ignored.
/// </summary>
internal sealed class ImageFolder
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"];

    private ImageFolder(string root, IReadOnlyList<string> classes, IReadOnlyList<ImageSample> samples, IReadOnlyList<string> empty)
    {
        Root = root;
        Classes = classes;
        Samples = samples;
        EmptyClasses = empty;
    }

    /// <summary>Class folders without a picture (left out of <see cref="Classes"/>), for a warning.</summary>
    public IReadOnlyList<string> EmptyClasses { get; }

    /// <summary>The folder.</summary>
    public string Root { get; }

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Every picture.</summary>
    public IReadOnlyList<ImageSample> Samples { get; }

    /// <summary>Reads the folder's listing (not the pictures).</summary>
    /// <param name="root">The data set folder.</param>
    /// <param name="minimumClasses">Classes with pictures it must have (two to train; one for a test set).</param>
    /// <returns>The listing.</returns>
    /// <exception cref="InvalidDataException">No such folder, or fewer than two classes with pictures; the message says how to lay it out.</exception>
    public static ImageFolder Load(string root, int minimumClasses = 2)
    {
        if (!Directory.Exists(root))
        {
            throw new InvalidDataException($"{root}: no such folder; give a folder with one subfolder of pictures per class (DIR/<class>/<n>.png)");
        }

        var classes = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        var samples = new List<ImageSample>();
        var used = new List<string>();
        var empty = new List<string>();
        foreach (var name in classes)
        {
            var files = Pictures(Path.Combine(root, name));
            if (files.Count == 0)
            {
                empty.Add(name);
                continue;
            }

            samples.AddRange(files.Select(f => new ImageSample(f, used.Count)));
            used.Add(name);
        }

        if (used.Count < minimumClasses)
        {
            throw new InvalidDataException(minimumClasses > 1
                ? $"{root}: {used.Count} class folder(s) with pictures; training needs at least two (DIR/<class>/<n>.png)"
                : $"{root}: no class folder with pictures (DIR/<class>/<n>.png)");
        }

        return new ImageFolder(root, used, samples, empty);
    }

    /// <summary>The pictures in one class folder, in number order.</summary>
    /// <param name="folder">The class folder.</param>
    /// <returns>Paths.</returns>
    public static List<string> Pictures(string folder) =>
        !Directory.Exists(folder) ? [] :
        Directory.GetFiles(folder)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()) && !AtomicFile.IsTemporary(f))
            .OrderBy(f => long.TryParse(Path.GetFileNameWithoutExtension(f), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue)
            .ThenBy(f => f, StringComparer.Ordinal)
            .ToList();
}
