// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render;

/// <summary>A window, context, shader or GL object that could not be made; the message says what to do.</summary>
public sealed class RenderException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One line naming what failed and the fix.</param>
    public RenderException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">One line naming what failed and the fix.</param>
    /// <param name="innerException">The underlying failure.</param>
    public RenderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public RenderException()
        : base("rendering failed")
    {
    }
}
