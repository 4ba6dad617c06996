// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Capture;

/// <summary>Something that yields frames: a camera, a video file, an image sequence or the synthetic scene.</summary>
/// <remarks>Members are called from one capture thread. Owns its OpenCV objects; disposing releases them.</remarks>
public interface IFrameSource : IDisposable
{
    /// <summary>The source as the user named it plus what was found, e.g. <c>video:clip.mp4 (640x480, 30 fps)</c>.</summary>
    string Description { get; }

    /// <summary>The rate frames are meant to be shown at, in frames per second.</summary>
    double FramesPerSecond { get; }

    /// <summary>True when <see cref="TryRead"/> blocks until the device has a frame (a camera); false when the
    /// caller must pace reads itself to play at <see cref="FramesPerSecond"/>.</summary>
    bool PacesItself { get; }

    /// <summary>The last problem met (a frame that failed to decode, a camera that vanished), or null.</summary>
    string? LastProblem { get; }

    /// <summary>Reads the next frame into <paramref name="frame"/>. Videos loop at their end; image lists cycle.</summary>
    /// <param name="frame">The slot to fill; resized as needed. Its Sequence and CapturedTicks are set.</param>
    /// <returns>False when no frame could be had this time (see <see cref="LastProblem"/>); the caller may retry.</returns>
    bool TryRead(VideoFrame frame);

    /// <summary>True once a source opened to play once (<see cref="FrameSources.Open(string, bool)"/> with loop
    /// false) has given its last frame: a video at its end, an image list after its last file.</summary>
    bool Ended => false;
}
