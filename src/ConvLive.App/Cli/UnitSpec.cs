// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Engine.Graph;

namespace ConvLive.App.Cli;

/// <summary>A unit as the command line names it: <c>VALUE:CHANNEL</c> (the sum of the channel's map) or
/// <c>VALUE:CHANNEL@X,Y</c> (the one unit at column X, row Y of it).</summary>
/// <param name="Value">The value (a layer's output).</param>
/// <param name="Channel">The channel.</param>
/// <param name="Position">Column and row, or null for the whole channel.</param>
internal readonly record struct UnitSpec(string Value, int Channel, (int X, int Y)? Position)
{
    /// <summary>Parses <paramref name="text"/> given to <paramref name="option"/>.</summary>
    /// <param name="text">VALUE:CHANNEL or VALUE:CHANNEL@X,Y.</param>
    /// <param name="option">The option's name, for the message.</param>
    /// <returns>The unit.</returns>
    /// <exception cref="ModelException">The text is not a unit.</exception>
    public static UnitSpec Parse(string text, string option = "--unit")
    {
        var at = text.LastIndexOf('@');
        var head = at < 0 ? text : text[..at];
        var colon = head.LastIndexOf(':');
        (int X, int Y)? position = null;
        if (at >= 0)
        {
            var xy = text[(at + 1)..].Split(',');
            if (xy.Length != 2 || !int.TryParse(xy[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var x)
                || !int.TryParse(xy[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var y))
            {
                throw new ModelException($"{option} {text}: the position after @ is COLUMN,ROW, e.g. {option} conv1:12@27,27");
            }

            position = (x, y);
        }

        if (colon <= 0 || !int.TryParse(head[(colon + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var channel))
        {
            throw new ModelException($"{option} {text}: give VALUE:CHANNEL or VALUE:CHANNEL@COLUMN,ROW, e.g. {option} conv1:12");
        }

        return new UnitSpec(head[..colon], channel, position);
    }

    /// <inheritdoc/>
    public override string ToString() => Position is { } p ? $"{Value}:{Channel}@{p.X},{p.Y}" : $"{Value}:{Channel}";
}
