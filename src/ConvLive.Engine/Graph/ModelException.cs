// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Graph;

/// <summary>A model the engine cannot load or run; the message names the file or node and the problem.</summary>
public class ModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One line: where (file, node) and what is wrong.</param>
    public ModelException(string message)
        : base(OneLine(message))
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">One line: where and what.</param>
    /// <param name="innerException">The underlying failure.</param>
    public ModelException(string message, Exception innerException)
        : base(OneLine(message), innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ModelException()
        : base("the model is invalid")
    {
    }

    /// <summary>
    /// Names in a damaged file (node names, op types) can hold newlines and other control characters; they are
    /// written as \uXXXX so the message stays one printable line.
    /// </summary>
    /// <param name="message">The message as composed.</param>
    /// <returns>The message with every control character escaped.</returns>
    public static string OneLine(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!message.Any(char.IsControl))
        {
            return message;
        }

        var text = new System.Text.StringBuilder(message.Length + 16);
        foreach (var c in message)
        {
            _ = char.IsControl(c) ? text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:X4}") : text.Append(c);
        }

        return text.ToString();
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
