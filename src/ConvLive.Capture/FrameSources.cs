// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;

namespace ConvLive.Capture;

/// <summary>Opens a source from its <c>--source</c> spelling: <c>camera:N</c>, <c>video:PATH</c>,
/// <c>images:DIR</c> or <c>images:PATTERN</c>, and <c>synthetic</c>.</summary>
public static class FrameSources
{
    /// <summary>The forms <c>--source</c> accepts, for help text.</summary>
    public const string Forms = "camera:N | video:PATH | images:DIR | images:frame_%04d.png | synthetic";

    /// <summary>Opens the source <paramref name="spec"/> names.</summary>
    /// <param name="spec">One of <see cref="Forms"/>.</param>
    /// <returns>The opened source; the caller owns it.</returns>
    /// <exception cref="FrameSourceException">The spec is malformed or the source does not open; the message says why.</exception>
    public static IFrameSource Open(string spec) => Open(spec, loop: true);

    /// <summary>Opens the source <paramref name="spec"/> names, looping (live) or playing once (classify).</summary>
    /// <param name="spec">One of <see cref="Forms"/>.</param>
    /// <param name="loop">False: a video plays once and an image list is read once, then the source reports Ended
    /// (a camera or the synthetic scene never ends).</param>
    /// <returns>The opened source; the caller owns it.</returns>
    /// <exception cref="FrameSourceException">The spec is malformed or the source does not open; the message says why.</exception>
    public static IFrameSource Open(string spec, bool loop)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        var kind = (colon < 0 ? spec : spec[..colon]).Trim().ToUpperInvariant();
        var arg = colon < 0 ? string.Empty : spec[(colon + 1)..];
        if (kind is "CAMERA" or "VIDEO" or "IMAGES" && OpenCvLibrary.Missing(spec) is { } missing)
        {
            throw new FrameSourceException(missing); // said once, before a source makes its first OpenCV object
        }

        switch (kind)
        {
            case "SYNTHETIC":
                return new SyntheticSource();
            case "CAMERA":
                if (!int.TryParse(arg.Length == 0 ? "0" : arg, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    throw new FrameSourceException($"--source {spec}: the camera number must be a whole number, e.g. camera:0");
                }

                return new CameraSource(index);
            case "VIDEO":
                return arg.Length == 0
                    ? throw new FrameSourceException($"--source {spec}: give the file, e.g. video:clip.mp4")
                    : new VideoFileSource(arg, loop);
            case "IMAGES":
                return arg.Length == 0
                    ? throw new FrameSourceException($"--source {spec}: give a folder or a pattern, e.g. images:shots/ or images:shots/frame_%04d.png")
                    : new ImageSequenceSource(arg, loop: loop);
            default:
                throw new FrameSourceException($"--source {spec}: unknown source; use {Forms}");
        }
    }
}
