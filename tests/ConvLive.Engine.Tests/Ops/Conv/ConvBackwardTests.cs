// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Conv;

/// <summary>Conv's backward (input, weights, bias) against its naive reference and finite differences.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class ConvBackwardTests(DeviceFixture devices)
{
    public static TheoryData<string> Devices => BackendHarness.Devices;

    /// <summary>Geometries: plain 3×3, strided with asymmetric pads and dilation, grouped, depthwise, 1×1, a pad past
    /// the kernel's reach, one wide enough for Winograd (the cpu backend runs stride-1 input gradients as forward
    /// convolutions), 11×11 stride 4.</summary>
    public static TheoryData<string, string> Cases() => BackendHarness.DevicesAnd(Geometries.Keys);

    private static readonly Dictionary<string, ConvParams> Geometries = new()
    {
        ["3x3 pad 1"] = Make(2, 4, 7, 6, 6, 1, new Window2D(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)),
        ["stride 2, pads 1,0,2,1, dilation 2"] = Make(1, 3, 9, 8, 4, 1, new Window2D(3, 2, 2, 2, 1, 0, 2, 1, 2, 2)),
        ["groups 2"] = Make(2, 4, 6, 6, 6, 2, new Window2D(3, 3, 1, 1, 0, 1, 0, 1, 1, 1)),
        ["depthwise"] = Make(1, 4, 6, 5, 4, 4, new Window2D(3, 3, 2, 1, 1, 1, 1, 1, 1, 1)),
        ["1x1"] = Make(2, 5, 4, 3, 3, 1, new Window2D(1, 1, 1, 1, 0, 0, 0, 0, 1, 1)),
        ["1x1 pad 1 (pad beyond the kernel's reach)"] = Make(1, 3, 4, 4, 2, 1, new Window2D(1, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
        ["3x3, 16 in and out (Winograd on cpu)"] = Make(1, 16, 9, 10, 16, 1, new Window2D(3, 3, 1, 1, 1, 1, 1, 1, 1, 1)),
        ["11x11 stride 4"] = Make(1, 2, 19, 19, 3, 1, new Window2D(11, 11, 4, 4, 2, 2, 2, 2, 1, 1)),
    };

    public static TheoryData<string> Names => [.. Geometries.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void ReferenceGradientsMatchFiniteDifferences(string geometry)
    {
        var p = Geometries[geometry];
        var (x, w, b, dy) = Data(p);
        var (dx, dw, db) = ReferenceOps.ConvBackward(dy, x, w, p);
        GradientCheck.AssertMatchesFiniteDifferences(dx, v => ReferenceOps.Conv(v, w, b, p), x, dy, $"{geometry} dx");
        GradientCheck.AssertMatchesFiniteDifferences(dw, v => ReferenceOps.Conv(x, v, b, p), w, dy, $"{geometry} dw");
        GradientCheck.AssertMatchesFiniteDifferences(db, v => ReferenceOps.Conv(x, w, v, p), b, dy, $"{geometry} db");
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void BackendGradientsEqualTheReference(string device, string geometry)
    {
        using var h = BackendHarness.Open(devices, device);
        var p = Geometries[geometry];
        var (x, w, _, dy) = Data(p);
        var (dxRef, dwRef, dbRef) = ReferenceOps.ConvBackward(dy, x, w, p);
        var xt = h.Upload(x, p.N, p.C, p.H, p.W);
        var wt = h.Upload(w, p.M, p.GroupInputs, p.Window.KernelH, p.Window.KernelW);
        var dyt = h.Upload(dy, p.N, p.M, p.OutH, p.OutW);
        var dx = h.Empty(xt.Shape);
        var dw = h.Empty(wt.Shape);
        var db = h.Empty(new TensorShape(p.M));
        h.Backend.Upload(dx, Enumerable.Repeat(float.NaN, dx.Length).ToArray()); // every element must be written
        h.Backend.ConvBackwardData(dx, dyt, wt, p);
        h.Backend.ConvBackwardFilter(dw, db, dyt, xt, p);
        // Winograd (cpu, stride 1, wide layers) rounds more than a direct sum: as in its forward tests, the bound
        // scales with the largest output.
        Numerics.AssertClose(dxRef, h.Download(dx), 2e-4 * Math.Max(1, dxRef.Max(Math.Abs)), 1e-4, $"{device} {geometry} dx");
        Numerics.AssertClose(dwRef, h.Download(dw), 1e-5, 1e-4, $"{device} {geometry} dw");
        Numerics.AssertClose(dbRef, h.Download(db), 1e-5, 1e-4, $"{device} {geometry} db");

        // A second call writes, never adds: the same result again.
        h.Backend.ConvBackwardFilter(dw, db, dyt, xt, p);
        Numerics.AssertClose(dwRef, h.Download(dw), 1e-5, 1e-4, $"{device} {geometry} dw, second call");
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void ConstantWeightsGiveTheSameGradientOnEveryCall(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var p = Geometries["groups 2"];
        var (x, w, _, dy) = Data(p);
        var wt = h.Backend.Constant(new TensorShape(p.M, p.GroupInputs, 3, 3), w);
        var dyt = h.Upload(dy, p.N, p.M, p.OutH, p.OutW);
        var dx = h.Empty(new TensorShape(p.N, p.C, p.H, p.W));
        h.Backend.ConvBackwardData(dx, dyt, wt, p);
        var first = h.Download(dx);
        h.Backend.ConvBackwardData(dx, dyt, wt, p);
        Numerics.AssertClose(ReferenceOps.ConvBackward(dy, x, w, p).Dx, first, 1e-5, 1e-4, $"{device} constant weights");
        Numerics.AssertClose(first, h.Download(dx), 0, 0, $"{device} constant weights, second call");
        wt.Dispose();
    }

    private static ConvParams Make(int n, int c, int h, int w, int m, int groups, Window2D win)
    {
        var oh = ((h + win.PadTop + win.PadBottom - (((win.KernelH - 1) * win.DilationH) + 1)) / win.StrideH) + 1;
        var ow = ((w + win.PadLeft + win.PadRight - (((win.KernelW - 1) * win.DilationW) + 1)) / win.StrideW) + 1;
        return new ConvParams(n, c, h, w, m, groups, win, oh, ow);
    }

    private static (float[] X, float[] W, float[] B, float[] Dy) Data(ConvParams p) =>
        (BackendHarness.Random(p.N * p.C * p.H * p.W, 1),
         BackendHarness.Random(p.M * p.GroupInputs * p.Window.KernelH * p.Window.KernelW, 2),
         BackendHarness.Random(p.M, 3),
         BackendHarness.Random(p.N * p.M * p.OutH * p.OutW, 4));
}
