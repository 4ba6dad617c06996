// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace ConvLive.App.Training;

/// <summary>
/// Backbone features of a data set's pictures and their views, cached on disk beside the samples
/// (DATA/.convlive-cache/features-HASH.bin), keyed by backbone, cut, feature width, augmentation and seed, and per
/// picture by its path, size and modification time. Records are appended as pictures are done, each with its length
/// and a hash, so an interrupted run leaves a valid prefix and the next run resumes; a truncated or damaged record,
/// or a file made for another key, is never trusted: reading stops there and the rest is computed again.
/// </summary>
/// <remarks>One thread. Not an atomic file: a cache whose every record is checked.</remarks>
internal sealed class FeatureCache : IDisposable
{
    private const uint Magic = 0x43464C43; // "CLFC"
    private const int Version = 2; // 2: views seeded by the picture's folder and name
    private readonly Dictionary<string, (long Size, long Ticks, float[][] Views)> _entries = new(StringComparer.Ordinal);
    private readonly string _root;
    private readonly int _length;
    private readonly int _views;
    private FileStream? _stream;

    private FeatureCache(string root, string path, int length, int views)
    {
        _root = root;
        Path = path;
        _length = length;
        _views = views;
    }

    /// <summary>The cache file.</summary>
    public string Path { get; }

    /// <summary>Pictures whose features came from the cache.</summary>
    public int Reused { get; private set; }

    /// <summary>Pictures computed and added this run.</summary>
    public int Added { get; private set; }

    /// <summary>Entries read from the file at open.</summary>
    public int Loaded { get; private set; }

    /// <summary>Opens (or starts) the cache for <paramref name="key"/> under <paramref name="dataRoot"/>.</summary>
    /// <param name="dataRoot">The data set folder.</param>
    /// <param name="key">What the features depend on besides the pictures: backbone, cut, augmentation, seed.</param>
    /// <param name="featureLength">Features per view.</param>
    /// <param name="views">Views per picture.</param>
    /// <param name="warn">Told when a file is damaged or made for another key.</param>
    /// <returns>The cache; null (and a warning) when the folder cannot be written.</returns>
    public static FeatureCache? Open(string dataRoot, string key, int featureLength, int views, Action<string> warn)
    {
        var folder = System.IO.Path.Combine(dataRoot, ".convlive-cache");
        var path = System.IO.Path.Combine(folder, $"features-{Fnv(Encoding.UTF8.GetBytes(key)):x16}.bin");
        var cache = new FeatureCache(System.IO.Path.GetFullPath(dataRoot), path, featureLength, views);
        try
        {
            Directory.CreateDirectory(folder);
            cache._stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
            cache.Load(key, warn);
            return cache;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warn($"{path}: cannot keep features there ({e.Message}); computing them without a cache");
            cache.Dispose();
            return null;
        }
    }

    /// <summary>The cached views of <paramref name="picture"/>, when the file has not changed since.</summary>
    public bool TryGet(string picture, out float[][] views)
    {
        var info = new FileInfo(picture);
        if (_entries.TryGetValue(Relative(picture), out var e) && info.Exists && e.Size == info.Length && e.Ticks == info.LastWriteTimeUtc.Ticks)
        {
            views = e.Views;
            Reused++;
            return true;
        }

        views = [];
        return false;
    }

    /// <summary>Appends a picture's views (flushed to the file at once, so an interruption keeps it).</summary>
    /// <param name="picture">The picture.</param>
    /// <param name="views">Its views' features.</param>
    /// <param name="stamp">Its size and modification time when it was read (an edit since makes the entry stale).</param>
    public void Add(string picture, float[][] views, (long Size, long Ticks) stamp)
    {
        var name = Encoding.UTF8.GetBytes(Relative(picture));
        var payload = new byte[4 + name.Length + 8 + 8 + 4 + (views.Length * _length * 4)];
        var span = payload.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(span, name.Length);
        name.CopyTo(span[4..]);
        var at = 4 + name.Length;
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], stamp.Size);
        BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], stamp.Ticks);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 16)..], views.Length);
        at += 20;
        foreach (var v in views)
        {
            MemoryMarshal.AsBytes(v.AsSpan()).CopyTo(span[at..]);
            at += _length * 4;
        }

        Span<byte> head = stackalloc byte[4];
        Span<byte> tail = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(head, payload.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(tail, Fnv(payload));
        _stream!.Write(head);
        _stream.Write(payload);
        _stream.Write(tail);
        _stream.Flush();
        Added++;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
    }

    private void Load(string key, Action<string> warn)
    {
        var s = _stream!;
        var keyBytes = Encoding.UTF8.GetBytes(key);
        using var reader = new BinaryReader(s, Encoding.UTF8, leaveOpen: true);
        if (s.Length == 0 || !HeaderMatches(reader, keyBytes))
        {
            if (s.Length > 0)
            {
                warn($"{Path}: not a feature cache for this backbone and augmentation; rebuilt");
            }

            s.SetLength(0);
            var writer = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write(_length);
            writer.Write(_views);
            writer.Write(keyBytes.Length);
            writer.Write(keyBytes);
            writer.Flush();
            return;
        }

        while (s.Position < s.Length)
        {
            var start = s.Position;
            if (!TryReadRecord(reader))
            {
                warn($"{Path}: damaged or cut short after {Loaded} pictures; the rest is computed again");
                s.SetLength(start); // keep the valid prefix, append after it
                break;
            }
        }

        s.Seek(0, SeekOrigin.End);
    }

    private bool HeaderMatches(BinaryReader reader, byte[] key)
    {
        try
        {
            if (reader.ReadUInt32() != Magic || reader.ReadInt32() != Version || reader.ReadInt32() != _length || reader.ReadInt32() != _views)
            {
                return false;
            }

            var n = reader.ReadInt32();
            return n == key.Length && reader.ReadBytes(n).AsSpan().SequenceEqual(key);
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    private bool TryReadRecord(BinaryReader reader)
    {
        var s = reader.BaseStream;
        if (s.Length - s.Position < 4)
        {
            return false;
        }

        var length = reader.ReadInt32();
        var expected = _views * _length * 4;
        if (length < 24 + expected || length > 24 + expected + 4096 || s.Length - s.Position < length + 8L)
        {
            return false;
        }

        var payload = reader.ReadBytes(length);
        if (reader.ReadUInt64() != Fnv(payload))
        {
            return false;
        }

        var span = payload.AsSpan();
        var nameLength = BinaryPrimitives.ReadInt32LittleEndian(span);
        if (nameLength < 0 || 4 + nameLength + 20 + expected != length)
        {
            return false;
        }

        var name = Encoding.UTF8.GetString(span.Slice(4, nameLength));
        var at = 4 + nameLength;
        var size = BinaryPrimitives.ReadInt64LittleEndian(span[at..]);
        var ticks = BinaryPrimitives.ReadInt64LittleEndian(span[(at + 8)..]);
        if (BinaryPrimitives.ReadInt32LittleEndian(span[(at + 16)..]) != _views)
        {
            return false;
        }

        at += 20;
        var views = new float[_views][];
        for (var v = 0; v < _views; v++)
        {
            views[v] = MemoryMarshal.Cast<byte, float>(span.Slice(at, _length * 4)).ToArray();
            at += _length * 4;
        }

        _entries[name] = (size, ticks, views); // a later record of the same picture wins
        Loaded++;
        return true;
    }

    private string Relative(string picture) => System.IO.Path.GetRelativePath(_root, System.IO.Path.GetFullPath(picture)).Replace('\\', '/');

    private static ulong Fnv(ReadOnlySpan<byte> bytes)
    {
        var h = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            h = (h ^ b) * 1099511628211UL;
        }

        return h;
    }
}
