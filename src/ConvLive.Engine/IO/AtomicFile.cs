// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.IO;

/// <summary>
/// Writes a file so that, whenever the process dies, the path holds either the old complete file or the new
/// complete file: the bytes go to a temporary file beside it, are flushed to the disk, and then replace the
/// path with one rename.
/// </summary>
public static class AtomicFile
{
    /// <summary>The marker in temporary file names (left behind only by a process killed mid-write; ignored by readers).</summary>
    public const string TempMarker = ".tmp-";

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
