// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Loop;

namespace ConvLive.App.Tests;

public sealed class SampleRecorderTests
{
    [Fact]
    public void PercentilesInterpolateBetweenSortedSamples()
    {
        var recorder = new SampleRecorder();
        foreach (var v in new double[] { 5, 1, 4, 2, 3 })
        {
            recorder.Add(v);
        }

        Assert.Equal(3, recorder.Percentile(50));
        Assert.Equal(1, recorder.Percentile(0));
        Assert.Equal(5, recorder.Percentile(100));
        Assert.Equal(4.8, recorder.Percentile(95), 9);
    }

    [Fact]
    public void OnlyTheLastCapacitySamplesCountAndEmptyIsNaN()
    {
        var recorder = new SampleRecorder(capacity: 4);
        Assert.True(double.IsNaN(recorder.Percentile(50)));
        for (var i = 0; i < 100; i++)
        {
            recorder.Add(i < 96 ? 1000 : 1);
        }

        Assert.Equal(100, recorder.Count);
        Assert.Equal(1, recorder.Percentile(100));
    }
}
