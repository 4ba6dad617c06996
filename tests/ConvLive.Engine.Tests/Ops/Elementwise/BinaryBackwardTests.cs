// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Elementwise;

/// <summary>Add/Sub/Mul/Div backward with broadcasting: gradients summed back to each operand's shape.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class BinaryBackwardTests(DeviceFixture devices)
{
    private static readonly (int[] A, int[] B)[] Shapes =
    [
        ([2, 3, 4], [2, 3, 4]),
        ([2, 3, 4, 5], [3, 1, 1]),
        ([2, 1, 4, 1], [1, 3, 1, 5]),
        ([3, 4], [1]),
        ([4], [2, 3, 4]),
    ];

    public static TheoryData<string> Devices => BackendHarness.Devices;

    [Theory]
    [InlineData(BinaryKind.Add)]
    [InlineData(BinaryKind.Sub)]
    [InlineData(BinaryKind.Mul)]
    [InlineData(BinaryKind.Div)]
    public void ReferenceGradientsMatchFiniteDifferences(BinaryKind kind)
    {
        foreach (var (aDims, bDims) in Shapes)
        {
            var (a, b) = Operands(aDims, bDims);
            var y = ReferenceOps.Binary(a, aDims, b, bDims, kind, out _);
            var dy = BackendHarness.Random(y.Length, 3);
            var (da, db) = ReferenceOps.BinaryBackward(dy, a, aDims, b, bDims, kind);
            var what = $"{kind} [{string.Join(',', aDims)}]∘[{string.Join(',', bDims)}]";
            GradientCheck.AssertMatchesFiniteDifferences(da, v => ReferenceOps.Binary(v, aDims, b, bDims, kind, out _), a, dy, what + " da", step: 1e-3f);
            GradientCheck.AssertMatchesFiniteDifferences(db, v => ReferenceOps.Binary(a, aDims, v, bDims, kind, out _), b, dy, what + " db", step: 1e-3f);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void BackendGradientsEqualTheReference(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        foreach (var kind in Enum.GetValues<BinaryKind>())
        {
            foreach (var (aDims, bDims) in Shapes)
            {
                var (a, b) = Operands(aDims, bDims);
                var p = BroadcastParams.Create(new TensorShape(aDims), new TensorShape(bDims));
                var dy = BackendHarness.Random(p.Output.Length, 3);
                var (daRef, dbRef) = ReferenceOps.BinaryBackward(dy, a, aDims, b, bDims, kind);
                DeviceTensorPair(h, a, aDims, b, bDims, out var at, out var bt);
                var dyt = h.Upload(dy, p.Output.Dims.ToArray());
                var da = h.Empty(at.Shape);
                var db = h.Empty(bt.Shape);
                h.Backend.BinaryBackward(da, dyt, at, bt, kind, p, 0, 1f);
                h.Backend.BinaryBackward(db, dyt, at, bt, kind, p, 1, 2f);
                var what = $"{device} {kind} [{string.Join(',', aDims)}]∘[{string.Join(',', bDims)}]";
                Numerics.AssertClose(daRef, h.Download(da), 1e-5, 1e-4, what + " da");
                Numerics.AssertClose(dbRef.Select(v => 2f * v).ToArray(), h.Download(db), 1e-5, 1e-4, what + " db (scale 2)");
            }
        }
    }

    private static void DeviceTensorPair(BackendHarness h, float[] a, int[] aDims, float[] b, int[] bDims, out Backends.DeviceTensor at, out Backends.DeviceTensor bt)
    {
        at = h.Upload(a, aDims);
        bt = h.Upload(b, bDims);
    }

    private static (float[] A, float[] B) Operands(int[] aDims, int[] bDims) =>
        (BackendHarness.Random(aDims.Aggregate(1, (x, y) => x * y), 1, 2f),
         BackendHarness.Random(bDims.Aggregate(1, (x, y) => x * y), 2).Select(v => v >= 0 ? v + 0.5f : v - 0.5f).ToArray()); // away from 0 for Div
}
