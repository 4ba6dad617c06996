// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
using ConvLive.App.Cli;

namespace ConvLive.App;

/// <summary>The <c>convlive</c> command line.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (OperatingSystem.IsWindows())
        {
            // The Windows console's code page (cp1252, cp437) would print "×" and "≤" as other characters.
            Console.OutputEncoding = System.Text.Encoding.UTF8;
        }

        var root = new RootCommand("ConvLive: a live CNN instrument. Watch a network see through your camera, layer by layer.")
        {
            LiveCommand.Create(),
            ConformanceCommand.Create(),
            BenchCommand.Create(),
            ModelCommands.Infer(),
            ModelCommands.Inspect(),
            ExplainCommand.Create(),
            ClassifyCommand.Create(),
            ModelsCommand.Create(),
            FilterCommand.Create(),
            TrainCommand.Create(),
            SaveDrillCommand.Create(),
        };
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("CONVLIVE_DEBUG") != "1" && Capture.OpenCvLibrary.IsMissing(e))
        {
            // A command that needed OpenCV (picture files, video, a camera) where its native library is absent.
            Console.Error.WriteLine($"error: {(e as Capture.OpenCvMissingException)?.Message ?? Capture.OpenCvLibrary.Missing("this command") ?? e.Message}");
            return 1;
        }
        catch (InvalidDataException e) when (Environment.GetEnvironmentVariable("CONVLIVE_DEBUG") != "1")
        {
            // A file the user gave that is not what it claims (a damaged manifest, say): its own words name it.
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("CONVLIVE_DEBUG") != "1")
        {
            // Commands report the failures they expect in their own words; this is the net for the rest.
            Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message} (set CONVLIVE_DEBUG=1 for the stack trace, and please report it)");
            return 1;
        }
    }
}
