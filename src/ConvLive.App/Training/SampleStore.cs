// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Engine.IO;

namespace ConvLive.App.Training;

/// <summary>
/// The captured samples on disk as an ImageFolder (ROOT/&lt;class&gt;/&lt;n&gt;.png): each picture is encoded and
/// written atomically on a worker task, so a crash never leaves a broken file and earlier samples are never touched.
/// An existing folder is read and added to.
/// </summary>
/// <remarks>Used from the inference thread.</remarks>
internal sealed class SampleStore
{
    private readonly List<string>[] _files;
    private Task _writes = Task.CompletedTask;
    private volatile string? _failure;

    public SampleStore(string root, IReadOnlyList<string> classes)
    {
        Root = Path.GetFullPath(root);
        Classes = classes;
        _files = classes.Select(c => ImageFolder.Pictures(Path.Combine(Root, c))).ToArray();
        foreach (var c in classes.Where(c => Directory.Exists(Path.Combine(Root, c))))
        {
            // What a killed process left mid-write: never a sample, safe to drop.
            foreach (var stale in Directory.GetFiles(Path.Combine(Root, c)).Where(AtomicFile.IsTemporary))
            {
                File.Delete(stale);
            }
        }
    }

    public string Root { get; }

    public IReadOnlyList<string> Classes { get; }

    /// <summary>Files of class k, oldest first.</summary>
    public IReadOnlyList<string> Files(int k) => _files[k];

    public int Count(int k) => _files[k].Count;

    /// <summary>Queues a picture for class k; returns its path.</summary>
    public string Add(int k, ReadOnlySpan<byte> bgr, int width, int height)
    {
        var folder = Path.Combine(Root, Classes[k]);
        var next = _files[k].Select(f => long.TryParse(Path.GetFileNameWithoutExtension(f), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1).DefaultIfEmpty(-1).Max() + 1;
        var path = Path.Combine(folder, next.ToString(CultureInfo.InvariantCulture) + ".png");
        _files[k].Add(path);
        var pixels = bgr.ToArray();
        Queue(() =>
        {
            Pictures.WriteBgrPng(path, pixels, width, height);
        });
        return path;
    }

    /// <summary>Deletes the newest sample of class k (after any pending write of it); false when there is none.</summary>
    public bool RemoveLast(int k)
    {
        if (_files[k].Count == 0)
        {
            return false;
        }

        var path = _files[k][^1];
        _files[k].RemoveAt(_files[k].Count - 1);
        Queue(() => File.Delete(path));
        return true;
    }

    /// <summary>Waits for queued writes; false on timeout.</summary>
    public bool Flush(TimeSpan timeout) => _writes.Wait(timeout);

    /// <summary>The last failed write's message, or null.</summary>
    public string? Failure => _failure;

    /// <summary>Runs file work in order on a worker; a failure is kept and reported, later work still runs.</summary>
    private void Queue(Action work) =>
        _writes = _writes.ContinueWith(
            _ =>
            {
                try
                {
                    work();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _failure = e.Message;
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
}
