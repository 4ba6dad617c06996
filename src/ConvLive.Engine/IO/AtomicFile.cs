// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.IO;

/// <summary>
/// Writes a file so that, whenever the process dies, the path holds either the old complete file or the new
/// complete file: the bytes go to a temporary file beside it, are flushed to the disk, and then replace the
/// path with one rename.
/// </summary>
public static class AtomicFile
{
    /// <summary>The marker in temporary file names (left behind only by a process killed mid-write; ignored by readers
    /// and swept at the next start). Distinctive, so that <see cref="Sweep"/> never takes a user's own ".tmp-" file.</summary>
    public const string TempMarker = ".convlive-tmp-";

    private static readonly System.Buffers.SearchValues<char> ExtensionCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>.</summary>
    /// <param name="path">The destination; its folder is created.</param>
    /// <param name="write">Writes the whole content to the stream.</param>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + TempMarker + Environment.ProcessId;
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes bytes atomically.</summary>
    /// <param name="path">The destination.</param>
    /// <param name="bytes">The content.</param>
    public static void WriteAllBytes(string path, ReadOnlyMemory<byte> bytes) => Write(path, s => s.Write(bytes.Span));

    /// <summary>Writes lines atomically (UTF-8, '\n').</summary>
    /// <param name="path">The destination.</param>
    /// <param name="lines">The lines.</param>
    public static void WriteAllLines(string path, IEnumerable<string> lines) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n"))));

    /// <summary>True for a temporary file left by an interrupted write.</summary>
    /// <param name="path">A file name.</param>
    /// <returns>Whether to ignore it.</returns>
    public static bool IsTemporary(string path) => Path.GetFileName(path).Contains(TempMarker, StringComparison.Ordinal);

    /// <summary>A temporary name for <paramref name="path"/> that keeps its extension (a video writer picks its
    /// container from it): <c>clip.tmp-PID.mp4</c>. Swept like the others.</summary>
    /// <param name="path">The final path.</param>
    /// <returns>The temporary path beside it.</returns>
    public static string TemporaryKeepingExtension(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var extension = Path.GetExtension(path);
        return path[..^extension.Length] + TempMarker + Environment.ProcessId + extension;
    }

    /// <summary>
    /// Deletes what interrupted atomic writes left in <paramref name="folder"/>: files and folders named
    /// <c>….tmp-PID</c> (or <c>….tmp-PID.ext</c>) whose writer is gone — no process has that PID, or the one that has
    /// it started after the entry was last written (the PID was reused). A live writer's entries, and every other
    /// name, are left alone. Called at start in each folder the app writes.
    /// </summary>
    /// <param name="folder">The folder (nothing happens when it does not exist).</param>
    /// <param name="recursive">Also its subfolders (samples' class folders).</param>
    /// <returns>How many entries were removed.</returns>
    public static int Sweep(string folder, bool recursive = false)
    {
        if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder))
        {
            return 0;
        }

        var removed = 0;
        try
        {
            var entries = Directory.EnumerateFileSystemEntries(folder, "*" + TempMarker + "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly).ToList();
            foreach (var entry in entries)
            {
                if (!TryParseWriter(Path.GetFileName(entry), out var pid) || WriterAlive(pid, Directory.GetLastWriteTimeUtc(entry)))
                {
                    continue;
                }

                try
                {
                    if (Directory.Exists(entry))
                    {
                        Directory.Delete(entry, recursive: true);
                    }
                    else
                    {
                        File.Delete(entry);
                    }

                    removed++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Someone else's, or in use: left for the next start.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable folder: nothing to sweep here.
        }

        return removed;
    }

    /// <summary>The writer's PID in <c>name.tmp-PID</c> or <c>name.tmp-PID.ext</c>.</summary>
    private static bool TryParseWriter(string name, out int pid)
    {
        pid = 0;
        var at = name.LastIndexOf(TempMarker, StringComparison.Ordinal);
        if (at < 0)
        {
            return false;
        }

        var rest = name.AsSpan(at + TempMarker.Length);
        var digits = 0;
        while (digits < rest.Length && char.IsAsciiDigit(rest[digits]))
        {
            digits++;
        }

        var tail = rest[digits..];
        var extensionOnly = tail.IsEmpty || (tail[0] == '.' && tail.Length > 1 && tail[1..].IndexOfAnyExcept(ExtensionCharacters) < 0);
        return digits > 0 && extensionOnly && int.TryParse(rest[..digits], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pid);
    }

    private static bool WriterAlive(int pid, DateTime writtenUtc)
    {
        if (pid == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime() <= writtenUtc.AddSeconds(1);
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false; // it has exited
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return true; // cannot tell: keep it
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
