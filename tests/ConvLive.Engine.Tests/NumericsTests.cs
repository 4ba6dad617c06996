// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Tests;

namespace ConvLive.Engine.Tests;

/// <summary>The comparer every numeric test relies on must itself fail when it should.</summary>
public sealed class NumericsTests
{
    [Fact]
    public void ZeroReferencesAreComparedAbsolutelyNotRelatively() =>
        Assert.Null(Numerics.Compare([0f, 0f], [1e-7f, -1e-7f], atol: 1e-6, rtol: 1e-3));

    [Fact]
    public void TheFirstBadIndexAndMaxErrorAreReported()
    {
        var report = Numerics.Compare([1f, 2f, 3f, 4f], [1f, 2.5f, 3f, 9f], atol: 1e-3, rtol: 1e-3);
        Assert.NotNull(report);
        Assert.Contains("first bad index 1", report, StringComparison.Ordinal);
        Assert.Contains("max error 5 at 3", report, StringComparison.Ordinal);
    }

    [Fact]
    public void NaNMatchesOnlyNaNAndInfinityOnlyItself()
    {
        Assert.Null(Numerics.Compare([float.NaN, float.PositiveInfinity], [float.NaN, float.PositiveInfinity], 0, 0));
        Assert.NotNull(Numerics.Compare([float.NaN], [0f], 1, 1));
        Assert.NotNull(Numerics.Compare([1f], [float.NaN], 1, 1));
        Assert.NotNull(Numerics.Compare([float.PositiveInfinity], [float.NegativeInfinity], 1, 1));
    }
}
