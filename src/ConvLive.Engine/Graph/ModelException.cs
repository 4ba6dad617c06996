// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Graph;

/// <summary>A model the engine cannot load or run; the message names the file or node and the problem.</summary>
public class ModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One line: where (file, node) and what is wrong.</param>
    public ModelException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">One line: where and what.</param>
    /// <param name="innerException">The underlying failure.</param>
    public ModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ModelException()
        : base("the model is invalid")
    {
    }
}

/// <summary>A valid model that uses something the engine does not implement (an op, attribute, type or rank).</summary>
public sealed class UnsupportedModelException : ModelException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One line naming the node and the unsupported feature.</param>
    public UnsupportedModelException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">One line.</param>
    /// <param name="innerException">The cause.</param>
    public UnsupportedModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public UnsupportedModelException()
        : base("the model uses an unsupported feature")
    {
    }
}
