// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Pool;

/// <summary>Pooling's backward against its naive reference and finite differences; ties go to the first maximum.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class PoolBackwardTests(DeviceFixture devices)
{
    public static TheoryData<string> Devices => BackendHarness.Devices;

    private static readonly Dictionary<string, PoolParams> Geometries = new()
    {
        ["max 3/2 pads 1,1,0,0"] = Make(PoolKind.Max, 2, 3, 8, 7, new Window2D(3, 3, 2, 2, 1, 1, 0, 0, 1, 1), false, false),
        ["max 3/2 ceil"] = Make(PoolKind.Max, 1, 2, 6, 6, new Window2D(3, 3, 2, 2, 0, 0, 0, 0, 1, 1), false, true),
        ["max dilated"] = Make(PoolKind.Max, 1, 2, 7, 7, new Window2D(2, 2, 1, 1, 0, 0, 0, 0, 2, 2), false, false),
        ["average, pad excluded"] = Make(PoolKind.Average, 2, 2, 7, 6, new Window2D(3, 3, 2, 2, 1, 1, 1, 1, 1, 1), false, false),
        ["average, pad included, ceil"] = Make(PoolKind.Average, 1, 3, 7, 6, new Window2D(3, 2, 2, 2, 1, 0, 1, 1, 1, 1), true, true),
        ["L2"] = Make(PoolKind.L2, 1, 3, 6, 6, new Window2D(2, 3, 2, 1, 0, 1, 0, 1, 1, 1), false, false),
        ["global average"] = Make(PoolKind.Average, 2, 3, 5, 4, new Window2D(5, 4, 1, 1, 0, 0, 0, 0, 1, 1), false, false),
        ["global max"] = Make(PoolKind.Max, 2, 3, 5, 4, new Window2D(5, 4, 1, 1, 0, 0, 0, 0, 1, 1), false, false),
    };

    public static TheoryData<string> Names => [.. Geometries.Keys];

    public static TheoryData<string, string> Cases() => BackendHarness.DevicesAnd(Geometries.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void ReferenceGradientMatchesFiniteDifferences(string geometry)
    {
        var p = Geometries[geometry];
        var x = GradientCheck.Distinct(p.N * p.C * p.H * p.W, 5); // no ties within a step: max is differentiable
        var dy = BackendHarness.Random(p.N * p.C * p.OutH * p.OutW, 6);
        GradientCheck.AssertMatchesFiniteDifferences(ReferenceOps.PoolBackward(dy, x, p), v => ReferenceOps.Pool(v, p), x, dy, geometry, step: 1e-3f);
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void BackendGradientEqualsTheReference(string device, string geometry)
    {
        using var h = BackendHarness.Open(devices, device);
        var p = Geometries[geometry];
        var x = BackendHarness.Random(p.N * p.C * p.H * p.W, 7, scale: 2f);
        var dy = BackendHarness.Random(p.N * p.C * p.OutH * p.OutW, 8);
        Numerics.AssertClose(ReferenceOps.PoolBackward(dy, x, p), Backward(h, p, x, dy), 1e-6, 1e-5, $"{device} {geometry}");
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void MaxPoolTiesGoToTheFirstMaximumInRowMajorOrder(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var p = Make(PoolKind.Max, 1, 1, 4, 4, new Window2D(2, 2, 2, 2, 0, 0, 0, 0, 1, 1), false, false);
        var x = new float[16]; // all zero, as after a Relu: every window is a tie
        var dx = Backward(h, p, x, [1f, 2f, 3f, 4f]);
        float[] expected = [1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0];
        Numerics.AssertClose(expected, dx, 0, 0, $"{device} ties");
        Numerics.AssertClose(expected, ReferenceOps.PoolBackward([1f, 2f, 3f, 4f], x, p), 0, 0, "reference ties");
    }

    private static float[] Backward(BackendHarness h, PoolParams p, float[] x, float[] dy)
    {
        var xt = h.Upload(x, p.N, p.C, p.H, p.W);
        var y = h.Empty(p.OutputShape);
        h.Backend.Pool(y, xt, p);
        var dx = h.Empty(xt.Shape);
        h.Backend.Upload(dx, Enumerable.Repeat(float.NaN, dx.Length).ToArray());
        h.Backend.PoolBackward(dx, h.Upload(dy, p.N, p.C, p.OutH, p.OutW), xt, y, p);
        return h.Download(dx);
    }

    private static PoolParams Make(PoolKind kind, int n, int c, int h, int w, Window2D win, bool includePad, bool ceil)
    {
        var pt = win.PadTop;
        var pb = win.PadBottom;
        var pl = win.PadLeft;
        var pr = win.PadRight;
        var oh = Window2D.Resolve(string.Empty, h, win.KernelH, win.StrideH, win.DilationH, ref pt, ref pb, ceil);
        var ow = Window2D.Resolve(string.Empty, w, win.KernelW, win.StrideW, win.DilationW, ref pl, ref pr, ceil);
        return new PoolParams(kind, n, c, h, w, win, oh, ow, includePad);
    }
}
