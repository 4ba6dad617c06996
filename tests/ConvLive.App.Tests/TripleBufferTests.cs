// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Loop;

namespace ConvLive.App.Tests;

public sealed class TripleBufferTests
{
    private sealed class Slot
    {
        public long A;
        public long B;
    }

    [Fact]
    public void NothingIsTakenBeforeTheFirstPublish()
    {
        var buffer = new TripleBuffer<Slot>(() => new Slot());
        Assert.False(buffer.TryTakeNewest(out _));
    }

    [Fact]
    public void TheNewestPublishWinsAndTheOlderOneIsCountedAsDropped()
    {
        var buffer = new TripleBuffer<Slot>(() => new Slot());
        buffer.WriteSlot.A = 1;
        buffer.Publish();
        buffer.WriteSlot.A = 2;
        buffer.Publish();

        Assert.True(buffer.TryTakeNewest(out var slot));
        Assert.Equal(2, slot.A);
        Assert.Same(slot, buffer.ReadSlot);
        Assert.Equal(1, buffer.Dropped);
        Assert.False(buffer.TryTakeNewest(out var again));
        Assert.Same(slot, again);
    }

    [Fact]
    public void TheWriterIsNeverHandedTheSlotTheReaderHolds()
    {
        var buffer = new TripleBuffer<Slot>(() => new Slot());
        for (var i = 0; i < 50; i++)
        {
            buffer.Publish();
            Assert.True(buffer.TryTakeNewest(out var held));
            for (var j = 0; j < 3; j++)
            {
                Assert.NotSame(held, buffer.WriteSlot);
                buffer.Publish();
            }
        }
    }

    [Fact]
    public void UnderContentionTheReaderSeesWholeSlotsInIncreasingOrder()
    {
        var buffer = new TripleBuffer<Slot>(() => new Slot());
        const long Count = 200_000;
        var writer = new Thread(() =>
        {
            for (long i = 1; i <= Count; i++)
            {
                var slot = buffer.WriteSlot;
                slot.A = i;
                Thread.SpinWait(20);
                slot.B = i;
                buffer.Publish();
            }
        });
        writer.Start();

        long last = 0, taken = 0;
        string? failure = null;
        while (last < Count && failure is null)
        {
            if (!buffer.TryTakeNewest(out var slot))
            {
                Thread.SpinWait(10);
                continue;
            }

            taken++;
            var (a, b) = (slot.A, slot.B);
            Thread.SpinWait(50);
            if (a != b || slot.A != a || a <= last)
            {
                failure = $"slot torn or stale: A={a}, B={b}, now A={slot.A}, previous {last}";
            }

            last = a;
        }

        Assert.True(writer.Join(TimeSpan.FromSeconds(30)));
        Assert.Null(failure);
        Assert.Equal(Count, last);
        Assert.Equal(Count, taken + buffer.Dropped);
    }
}
