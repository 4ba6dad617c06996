// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
using ConvLive.App.Cli;

namespace ConvLive.App;

/// <summary>The <c>convlive</c> command line.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("ConvLive: a live CNN instrument. Watch a network see through your camera, layer by layer.")
        {
            LiveCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }
}
