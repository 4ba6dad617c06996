// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Elementwise;

/// <summary>Add, Sub, Mul and Div with broadcasting against the naive reference.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class BinaryOpTests(DeviceFixture devices)
{
    public static TheoryData<string> Devices => BackendHarness.Devices;

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void BroadcastArithmeticMatchesTheReference(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        // The last: same shapes over three 16K-float chunks and a tail, which the CPU runs on its workers.
        int[][][] cases = [[[2, 3, 4], [2, 3, 4]], [[2, 3, 4], [4]], [[2, 1, 4], [3, 1]], [[1], [5, 2]], [[2, 3, 1, 5], [1, 3, 4, 1]], [[3, 16391], [3, 16391]]];
        var seed = 0;
        foreach (var pair in cases)
        {
            foreach (var kind in Enum.GetValues<BinaryKind>())
            {
                var a = BackendHarness.Random(pair[0].Aggregate(1, (x, y) => x * y), ++seed);
                var b = BackendHarness.Random(pair[1].Aggregate(1, (x, y) => x * y), ++seed).Select(v => kind == BinaryKind.Div ? v + 3f : v).ToArray();
                var p = BroadcastParams.Create(new TensorShape(pair[0]), new TensorShape(pair[1]));
                var y = h.Empty(p.Output);
                h.Backend.Binary(y, h.Upload(a, pair[0]), h.Upload(b, pair[1]), kind, p);
                var expected = ReferenceOps.Binary(a, pair[0], b, pair[1], kind, out var dims);
                Assert.Equal(dims, p.Output.Dims.ToArray());
                Numerics.AssertClose(expected, h.Download(y), 1e-6, 1e-5, $"{device} {kind} {p.Output}");
            }
        }
    }
}
