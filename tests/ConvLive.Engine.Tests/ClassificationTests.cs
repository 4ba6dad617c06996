// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Models;

namespace ConvLive.Engine.Tests;

/// <summary>Top-k and arg-max, the one classification post-processing every caller shares.</summary>
public sealed class ClassificationTests
{
    [Fact]
    public void ADistributionIsTakenAsItIsAndScoresGoThroughSoftmax()
    {
        int[] top = new int[3];
        float[] p = new float[3];
        Classification.Top([0.1f, 0.6f, 0.05f, 0.25f], top, p);
        Assert.Equal([1, 3, 0], top);
        Assert.Equal([0.6f, 0.25f, 0.1f], p);

        Classification.Top([2f, 0f, 1f], top, p);
        Assert.Equal([0, 2, 1], top);
        var e = new[] { Math.Exp(2), 1, Math.Exp(1) };
        Assert.Equal(e[0] / e.Sum(), p[0], 5);
        Assert.Equal(e[2] / e.Sum(), p[1], 5);
        Assert.Equal(1.0, p.Sum(), 5);
    }

    [Fact]
    public void PlacesPastTheOutputsAreEmptyAndTiesKeepTheFirst()
    {
        int[] top = new int[5];
        float[] p = new float[5];
        Classification.Top([0.5f, 0.5f], top, p);
        Assert.Equal([0, 1, -1, -1, -1], top);
        Assert.Equal([0.5f, 0.5f, 0f, 0f, 0f], p);
        Assert.Equal(1, Classification.ArgMax([1f, 3f, 3f, -2f]));
        Assert.Throws<ArgumentException>(() => Classification.ArgMax([]));
    }
}
