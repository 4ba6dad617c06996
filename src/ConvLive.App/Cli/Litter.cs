// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.IO;

namespace ConvLive.App.Cli;

/// <summary>At a command's start: what interrupted saves left in the folders it writes is removed
/// (<see cref="AtomicFile.Sweep"/>: only temporary names whose writer is gone), and the user is told.</summary>
internal static class Litter
{
    /// <summary>Sweeps <paramref name="folders"/> (null and missing ones skipped); the first recursively when
    /// <paramref name="firstRecursive"/>.</summary>
    public static void Sweep(TextWriter log, bool firstRecursive, params string?[] folders)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < folders.Length; i++)
        {
            if (folders[i] is not { Length: > 0 } folder || !done.Add(Path.GetFullPath(folder)))
            {
                continue;
            }

            var removed = AtomicFile.Sweep(folder, recursive: i == 0 && firstRecursive);
            if (removed > 0)
            {
                log.WriteLine($"removed {removed} temporary file(s) an interrupted save left in {Path.GetFullPath(folder)}");
            }
        }
    }

    /// <summary>The folder a file goes to (the working folder for a bare name).</summary>
    public static string FolderOf(string? path) =>
        path is null ? string.Empty : Path.GetDirectoryName(Path.GetFullPath(path)) ?? string.Empty;
}
