// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Capture;

/// <summary>A source that cannot be opened; the message names the source, the problem and the fix.</summary>
public sealed class FrameSourceException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One line naming the source and what to do.</param>
    public FrameSourceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the cause.</summary>
    /// <param name="message">One line naming the source and what to do.</param>
    /// <param name="innerException">What OpenCV threw.</param>
    public FrameSourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public FrameSourceException()
        : base("the frame source could not be opened")
    {
    }
}
