// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Matrix;

/// <summary>MatMul's and Gemm's backward (Gemm's through the layer, see GradientProgramTests) against references.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class MatMulBackwardTests(DeviceFixture devices)
{
    public static TheoryData<string> Devices => new() { "cpu", "ilgpu-cpu", "ilgpu-warp32", "cuda" }; // warp32: the GPU-shaped blocks, accumulating with beta 1

    [Fact]
    public void GemmReferenceGradientsMatchFiniteDifferences()
    {
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var p = new GemmParams(3, 4, 5, ta, tb, 0.7f, 1.3f, BiasLayout.Row);
            var a = BackendHarness.Random(15, 1);
            var b = BackendHarness.Random(20, 2);
            var c = BackendHarness.Random(4, 3);
            var dy = BackendHarness.Random(12, 4);
            var (da, db, dc) = ReferenceOps.GemmBackward(dy, a, b, c.Length, p);
            GradientCheck.AssertMatchesFiniteDifferences(da, v => ReferenceOps.Gemm(v, b, c, p), a, dy, $"Gemm {ta},{tb} dA");
            GradientCheck.AssertMatchesFiniteDifferences(db, v => ReferenceOps.Gemm(a, v, c, p), b, dy, $"Gemm {ta},{tb} dB");
            GradientCheck.AssertMatchesFiniteDifferences(dc, v => ReferenceOps.Gemm(a, b, v, p), c, dy, $"Gemm {ta},{tb} dC");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Devices))]
    public void MatMulGradientsEqualTheReferenceWithBroadcastBatches(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        foreach (var (aDims, bDims) in new[] { (new[] { 2, 3, 4 }, new[] { 4, 5 }), (new[] { 3, 4 }, new[] { 2, 4, 5 }), (new[] { 2, 1, 3, 4 }, new[] { 1, 2, 4, 5 }) })
        {
            var p = Plan(aDims, bDims);
            var a = BackendHarness.Random(aDims.Aggregate(1, (x, y) => x * y), 5);
            var b = BackendHarness.Random(bDims.Aggregate(1, (x, y) => x * y), 6);
            var dy = BackendHarness.Random(p.OutputShape.Length, 7);
            var (daRef, dbRef) = ReferenceOps.MatMulBackward(dy, a, b, p);
            GradientCheck.AssertMatchesFiniteDifferences(daRef, v => Forward(v, b, p), a, dy, "MatMul reference dA");
            GradientCheck.AssertMatchesFiniteDifferences(dbRef, v => Forward(a, v, p), b, dy, "MatMul reference dB");
            var da = h.Empty(new TensorShape(aDims));
            var db = h.Empty(new TensorShape(bDims));
            h.Backend.MatMulBackward(da, db, h.Upload(dy, p.OutputShape.Dims.ToArray()), h.Upload(a, aDims), h.Upload(b, bDims), p);
            Numerics.AssertClose(daRef, h.Download(da), 1e-5, 1e-4, $"{device} dA {string.Join(',', aDims)}");
            Numerics.AssertClose(dbRef, h.Download(db), 1e-5, 1e-4, $"{device} dB {string.Join(',', bDims)}");
        }
    }

    private static MatMulParams Plan(int[] aDims, int[] bDims) => Layers.MatMulLayer.Plan(new TensorShape(aDims), new TensorShape(bDims));

    private static float[] Forward(float[] a, float[] b, MatMulParams p)
    {
        var y = new float[p.OutputShape.Length];
        for (var batch = 0; batch < p.Batch; batch++)
        {
            for (var i = 0; i < p.M; i++)
            {
                for (var j = 0; j < p.N; j++)
                {
                    var sum = 0.0;
                    for (var k = 0; k < p.K; k++)
                    {
                        sum += (double)a[p.AOffsets[batch] + (i * p.K) + k] * b[p.BOffsets[batch] + (k * p.N) + j];
                    }

                    y[(batch * p.M * p.N) + (i * p.N) + j] = (float)sum;
                }
            }
        }

        return y;
    }
}
