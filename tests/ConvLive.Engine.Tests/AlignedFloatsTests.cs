// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends.Cpu;

namespace ConvLive.Engine.Tests;

public sealed unsafe class AlignedFloatsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(4099)]
    public void EveryBufferStartsOnACacheLineAndHoldsItsLength(int length)
    {
        // Several in a row, so the allocator's placements vary and each misalignment is corrected.
        for (var i = 0; i < 32; i++)
        {
            var buffer = new AlignedFloats(length);
            Assert.Equal(0, (long)buffer.Pointer % 64);
            Assert.Equal(length, buffer.Span.Length);
            buffer.Span.Fill(i);                     // the whole span is writable...
            Assert.Equal(i, buffer.Pointer[length - 1]); // ...and is the memory the pointer names
        }
    }

    [Fact]
    public void GrowKeepsABufferLongEnoughAndReplacesAShortOne()
    {
        var buffer = AlignedFloats.Empty;
        AlignedFloats.Grow(ref buffer, 100);
        Assert.Equal(100, buffer.Length);
        var kept = buffer;
        AlignedFloats.Grow(ref buffer, 50);
        Assert.Same(kept, buffer);
        AlignedFloats.Grow(ref buffer, 101);
        Assert.NotSame(kept, buffer);
        Assert.Equal(0, (long)buffer.Pointer % 64);
    }
}
