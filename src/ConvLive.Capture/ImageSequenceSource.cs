// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using System.Text.RegularExpressions;
using OpenCvSharp;

namespace ConvLive.Capture;

/// <summary>
/// Still images played as a video: every image of a folder in name order, or the files matching a
/// printf-style pattern such as <c>shots/frame_%04d.png</c> in number order. Cycles at the end; files that do
/// not decode are skipped and reported.
/// </summary>
/// <remarks>Owns its conversion buffers. Not thread safe.</remarks>
public sealed partial class ImageSequenceSource : IFrameSource
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"];

    private readonly string[] _files;
    private readonly MatFrames _frames = new();
    private readonly bool _loop;
    private int _next;
    private long _sequence;

    /// <summary>Lists the images of <paramref name="dirOrPattern"/>.</summary>
    /// <param name="dirOrPattern">A folder, or a path whose file name holds one <c>%d</c>/<c>%0Nd</c>.</param>
    /// <param name="framesPerSecond">The rate to play the images at.</param>
    /// <param name="loop">Cycle through the images (live); false to give each once, then report <see cref="Ended"/>.</param>
    /// <exception cref="FrameSourceException">The folder is missing or holds no image.</exception>
    public ImageSequenceSource(string dirOrPattern, double framesPerSecond = 30, bool loop = true)
    {
        ArgumentNullException.ThrowIfNull(dirOrPattern);
        _loop = loop;
        _files = Directory.Exists(dirOrPattern) ? ListFolder(dirOrPattern) : ListPattern(dirOrPattern);
        if (_files.Length == 0)
        {
            throw new FrameSourceException($"images:{dirOrPattern}: no image files found (.png, .jpg, .bmp, .tif, .webp). Give a folder of images or a pattern like frame_%04d.png.");
        }

        FramesPerSecond = framesPerSecond;
        Description = $"images:{dirOrPattern} ({_files.Length} images)";
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public double FramesPerSecond { get; }

    /// <inheritdoc/>
    public bool PacesItself => false;

    /// <inheritdoc/>
    public string? LastProblem { get; private set; }

    /// <summary>The image files, in play order.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <inheritdoc/>
    public bool Ended { get; private set; }

    /// <summary>The file the last read took (whether or not it decoded), or null before the first.</summary>
    public string? LastFile { get; private set; }

    /// <inheritdoc/>
    public bool TryRead(VideoFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (!_loop)
        {
            return ReadOnce(frame);
        }

        for (var tried = 0; tried < _files.Length; tried++)
        {
            var path = _files[_next];
            _next = (_next + 1) % _files.Length;
            using var image = Cv2.ImRead(path, ImreadModes.Unchanged);
            if (_frames.TryCopy(image, frame))
            {
                frame.Sequence = _sequence++;
                frame.CapturedTicks = System.Diagnostics.Stopwatch.GetTimestamp();
                return true;
            }

            LastProblem = $"images: {path} does not decode as an image; skipped";
        }

        LastProblem = $"images: none of the {_files.Length} files decodes as an image";
        return false;
    }

    /// <inheritdoc/>
    public void Dispose() => _frames.Dispose();

    /// <summary>Each file once, in order: false for a file that does not decode (named in <see cref="LastProblem"/>;
    /// the next call takes the next file) and after the last one (<see cref="Ended"/>).</summary>
    private bool ReadOnce(VideoFrame frame)
    {
        if (_next >= _files.Length)
        {
            Ended = true;
            return false;
        }

        LastFile = _files[_next++];
        frame.Sequence = _sequence++;
        using var image = Cv2.ImRead(LastFile, ImreadModes.Unchanged);
        if (_frames.TryCopy(image, frame))
        {
            frame.CapturedTicks = System.Diagnostics.Stopwatch.GetTimestamp();
            LastProblem = null;
            return true;
        }

        LastProblem = $"{Path.GetFileName(LastFile)} does not decode as an image";
        return false;
    }

    private static string[] ListFolder(string dir) =>
        Directory.EnumerateFiles(dir)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal)
            .ToArray();

    private static string[] ListPattern(string pattern)
    {
        var dir = Path.GetDirectoryName(pattern);
        dir = string.IsNullOrEmpty(dir) ? "." : dir;
        var name = Path.GetFileName(pattern);
        var match = PrintfNumber().Match(name);
        if (!match.Success || !Directory.Exists(dir))
        {
            return [];
        }

        var width = match.Groups[1].Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var digits = width > 0 ? $"\\d{{{width},}}" : "\\d+";
        var regex = new Regex(
            "^" + Regex.Escape(name[..match.Index]) + "(" + digits + ")" + Regex.Escape(name[(match.Index + match.Length)..]) + "$",
            RegexOptions.CultureInvariant);
        return Directory.EnumerateFiles(dir)
            .Select(f => (Path: f, Match: regex.Match(Path.GetFileName(f))))
            .Where(t => t.Match.Success)
            .OrderBy(t => long.Parse(t.Match.Groups[1].Value, CultureInfo.InvariantCulture))
            .Select(t => t.Path)
            .ToArray();
    }

    [GeneratedRegex(@"%0?(\d+)?d")]
    private static partial Regex PrintfNumber();
}
