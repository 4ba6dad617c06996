// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.App.Loop;

/// <summary>
/// Hands the newest item from one writer thread to one reader thread without locks, queues or copies (osu's
/// TripleBuffer). Three slots: the writer fills one, the reader holds one, the third is the latest published.
/// A publish the reader has not taken is replaced by the next one: newest wins, nothing can pile up.
/// </summary>
/// <typeparam name="T">The slot type; slots are made once and reused.</typeparam>
/// <remarks>Owns its three slots. <see cref="WriteSlot"/>/<see cref="Publish"/> belong to one writer thread,
/// <see cref="TryTakeNewest"/>/<see cref="ReadSlot"/> to one reader thread.</remarks>
internal sealed class TripleBuffer<T>
    where T : class
{
    private const int IndexMask = 3;
    private const int FreshBit = 4;

    private readonly T[] _slots;
    private int _writeIndex;
    private int _readIndex = 1;
    private int _shared = 2; // index of the middle slot, plus FreshBit when it holds an untaken publish
    private long _dropped;

    public TripleBuffer(Func<T> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        _slots = [create(), create(), create()];
    }

    /// <summary>The slot the writer fills next. Never seen by the reader until <see cref="Publish"/>.</summary>
    public T WriteSlot => _slots[_writeIndex];

    /// <summary>The slot the reader took last (initially an unfilled slot).</summary>
    public T ReadSlot => _slots[_readIndex];

    /// <summary>Number of publishes the reader never saw because a newer one replaced them.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Publishes <see cref="WriteSlot"/> and gives the writer a free slot.</summary>
    public void Publish()
    {
        var previous = Interlocked.Exchange(ref _shared, _writeIndex | FreshBit);
        if ((previous & FreshBit) != 0)
        {
            Interlocked.Increment(ref _dropped);
        }

        _writeIndex = previous & IndexMask;
    }

    /// <summary>Takes the newest published slot if there is one the reader has not taken yet.</summary>
    /// <param name="slot">The newest slot, now <see cref="ReadSlot"/>; the old read slot when false.</param>
    /// <returns>True when a new slot was taken.</returns>
    public bool TryTakeNewest(out T slot)
    {
        if ((Volatile.Read(ref _shared) & FreshBit) == 0)
        {
            slot = _slots[_readIndex];
            return false;
        }

        var previous = Interlocked.Exchange(ref _shared, _readIndex);
        _readIndex = previous & IndexMask;
        slot = _slots[_readIndex];
        return true;
    }
}
