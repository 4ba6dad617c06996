// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Devices;

/// <summary>Thrown when the requested compute device cannot be opened; the message says what to do instead.</summary>
public sealed class DeviceUnavailableException : Exception
{
    /// <summary>Creates the exception with a message that names the device and the fix.</summary>
    /// <param name="message">One line: what failed and which <c>--device</c> to use instead.</param>
    public DeviceUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the driver's own exception.</summary>
    /// <param name="message">One line: what failed and which <c>--device</c> to use instead.</param>
    /// <param name="innerException">What ILGPU or the driver threw.</param>
    public DeviceUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public DeviceUnavailableException()
        : base("the compute device could not be opened; try --device cpu")
    {
    }
}
