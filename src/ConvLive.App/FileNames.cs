// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;

namespace ConvLive.App;

/// <summary>Names of what the app writes on a key (screenshots, recordings, top-9 folders, pictures) and the text
/// face its window and charts use.</summary>
internal static class FileNames
{
    private static readonly string[] FaceFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        @"C:\Windows\Fonts\segoeui.ttf",
        @"C:\Windows\Fonts\arial.ttf",
    ];

    /// <summary>The TrueType face the window's text and the charts use (DejaVu Sans from fonts-dejavu-core, else
    /// Segoe UI or Arial on Windows), or null when none is installed.</summary>
    public static string? Face { get; } = FaceFiles.FirstOrDefault(File.Exists);

    /// <summary><paramref name="stem"/>-YYYYMMDD-HHMMSS-mmm<paramref name="extension"/>, in the working folder unless
    /// the stem has one.</summary>
    public static string Stamped(string stem, string extension) =>
        string.Create(CultureInfo.InvariantCulture, $"{stem}-{DateTime.Now:yyyyMMdd-HHmmss-fff}{extension}");

    /// <summary><paramref name="name"/> with every character but letters, digits, '-' and '_' made '_'.</summary>
    public static string Safe(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
