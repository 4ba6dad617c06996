// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Tests;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Backends.Cpu;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;

namespace ConvLive.Engine.Tests.Ops.Matrix;

/// <summary>Gemm (every transpose, alpha, beta, bias layout) and the CPU GEMM kernels against the naive reference.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class MatrixOpTests(DeviceFixture devices)
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var device in new[] { "cpu", "ilgpu-cpu", "ilgpu-warp32", "cuda" })
        {
            for (var seed = 0; seed < 12; seed++)
            {
                data.Add(device, seed);
            }
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void GemmMatchesTheNaiveReference(string device, int seed)
    {
        using var h = BackendHarness.Open(devices, device);
        var r = new Random(seed);
        int m = r.Next(1, 40), n = seed % 6 == 5 ? 1 : r.Next(1, 40), k = r.Next(1, 70);
        var bias = (BiasLayout)(seed % 5);
        var p = new GemmParams(m, n, k, seed % 2 == 1, seed % 3 == 1, seed % 4 == 0 ? 1f : 0.5f, seed % 4 == 1 ? 0f : 1.5f, bias);
        var a = BackendHarness.Random(m * k, seed);
        var b = BackendHarness.Random(k * n, seed + 1);
        float[]? c = bias switch
        {
            BiasLayout.Scalar => BackendHarness.Random(1, seed + 2),
            BiasLayout.Row => BackendHarness.Random(n, seed + 2),
            BiasLayout.Column => BackendHarness.Random(m, seed + 2),
            BiasLayout.Full => BackendHarness.Random(m * n, seed + 2),
            _ => null,
        };
        var cDims = bias switch { BiasLayout.Row => new[] { n }, BiasLayout.Column => [m, 1], BiasLayout.Full => [m, n], _ => [1] };
        var y = h.Empty(new(m, n));

        h.Backend.Gemm(y, h.Upload(a, p.TransA ? [k, m] : [m, k]), h.Upload(b, p.TransB ? [n, k] : [k, n]), c is null ? null : h.Upload(c, cDims), p);

        Numerics.AssertClose(ReferenceOps.Gemm(a, b, c, p), h.Download(y), 1e-5, 1e-4, $"{device} {p}");
    }

    public static TheoryData<string, bool, bool> LargeCases()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var device in new[] { "cpu", "ilgpu-cpu", "ilgpu-warp32", "cuda" })
        {
            foreach (var (transA, transB) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                data.Add(device, transA, transB);
            }
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(LargeCases))]
    public void ALargerGemmMatchesTheNaiveReference(string device, bool transA, bool transB)
    {
        // 130×70×50: several 64×64 blocks of the ILGPU blocked GEMM on a GPU-shaped device, partial in both directions,
        // four 16-deep slabs, each transpose, alpha and beta with a full C.
        using var h = BackendHarness.Open(devices, device);
        const int m = 130, n = 70, k = 50;
        var p = new GemmParams(m, n, k, transA, transB, 0.75f, 1.5f, BiasLayout.Full);
        var a = BackendHarness.Random(m * k, 1);
        var b = BackendHarness.Random(k * n, 2);
        var c = BackendHarness.Random(m * n, 3);
        var y = h.Empty(new(m, n));

        h.Backend.Gemm(y, h.Upload(a, transA ? [k, m] : [m, k]), h.Upload(b, transB ? [n, k] : [k, n]), h.Upload(c, m, n), p);

        Numerics.AssertClose(ReferenceOps.Gemm(a, b, c, p), h.Download(y), 1e-5, 1e-4, $"{device} {p}");
    }

    public static TheoryData<string, int, int, bool, int> BatchOneCases()
    {
        var data = new TheoryData<string, int, int, bool, int>();
        foreach (var device in new[] { "cpu", "ilgpu-cpu", "ilgpu-warp32", "cuda" })
        {
            foreach (var (n, k) in new[] { (1, 1), (5, 3), (33, 64), (100, 300), (7, 1000) })
            {
                data.Add(device, n, k, true, (n + k) % 5);   // weights as a fully connected layer keeps them (N×K): a warp per output
                data.Add(device, n, k, false, (n * k) % 5);  // K×N: a thread per output
            }
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(BatchOneCases))]
    public void ABatchOneProductMatchesTheNaiveReference(string device, int n, int k, bool transB, int biasLayout)
    {
        // M = 1 (a fully connected layer on one picture): the ILGPU backend's matrix-vector kernels, K not a multiple
        // of the warp, N not a multiple of a group's warps, every bias layout, alpha and beta.
        using var h = BackendHarness.Open(devices, device);
        var bias = (BiasLayout)biasLayout;
        var p = new GemmParams(1, n, k, false, transB, 0.75f, 1.25f, bias);
        var a = BackendHarness.Random(k, n);
        var b = BackendHarness.Random(k * n, k);
        float[]? c = bias switch
        {
            BiasLayout.Scalar => BackendHarness.Random(1, 3),
            BiasLayout.Row => BackendHarness.Random(n, 3),
            BiasLayout.Column => BackendHarness.Random(1, 3),
            BiasLayout.Full => BackendHarness.Random(n, 3),
            _ => null,
        };
        var cDims = bias switch { BiasLayout.Row => new[] { n }, BiasLayout.Column => [1, 1], BiasLayout.Full => [1, n], _ => [1] };
        var y = h.Empty(new(1, n));

        h.Backend.Gemm(y, h.Upload(a, [1, k]), h.Upload(b, transB ? [n, k] : [k, n]), c is null ? null : h.Upload(c, cDims), p);

        Numerics.AssertClose(ReferenceOps.Gemm(a, b, c, p), h.Download(y), 1e-5, 1e-4, $"{device} {p}");
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(6, 16, 256)]
    [InlineData(7, 17, 257)]
    [InlineData(96, 300, 363)]
    [InlineData(73, 33, 600)]
    [InlineData(200, 1, 700)]
    [InlineData(13, 4500, 300)] // a band of columns wider than one packed block of B (2048 columns): two threads below
    public unsafe void TheManagedPackedGemmMatchesTheNaiveReferenceAtTileEdges(int m, int n, int k)
    {
        using var device = Devices.ComputeDevice.Open(Devices.DeviceKind.Cpu, null, 2);
        var a = BackendHarness.Random(m * k, m);
        var b = BackendHarness.Random(k * n, n);
        var c = BackendHarness.Random(m * n, k);
        var expected = ReferenceOps.Gemm(a, b, c, new GemmParams(m, n, k, false, false, 0.75f, 0.5f, BiasLayout.Full));
        fixed (float* ap = a, bp = b, cp = c)
        {
            Sgemm.Managed(m, n, k, 0.75f, ap, k, bp, n, 0.5f, cp, n, device.Workers!);
        }

        Numerics.AssertClose(expected, c, 1e-4, 1e-4, $"managed {m}x{n}x{k}");
    }

    [SkippableTheory]
    [InlineData(512, 49, 300, true)]
    [InlineData(512, 49, 300, false)]
    [InlineData(130, 7, 64, true)]
    [InlineData(96, 3025, 50, true)]
    public unsafe void EveryGemmPathMatchesTheReference(int m, int n, int k, bool forceBlas)
    {
        Skip.If(forceBlas && !Sgemm.BlasInstalled, "OpenBLAS is not installed");
        using var device = Devices.ComputeDevice.Open(Devices.DeviceKind.Cpu);
        var a = BackendHarness.Random(m * k, m + 1);
        var b = BackendHarness.Random(k * n, n + 1);
        var c = new float[m * n];
        var expected = ReferenceOps.Gemm(a, b, null, new GemmParams(m, n, k, false, false, 1f, 0f, BiasLayout.None));
        fixed (float* ap = a, bp = b, cp = c)
        {
            Sgemm.Multiply(m, n, k, 1f, ap, k, bp, n, 0f, cp, n, device.Workers!, forceBlas ? BlasUse.Only : BlasUse.Auto);
        }

        Numerics.AssertClose(expected, c, 1e-4, 1e-4, $"{(forceBlas ? "OpenBLAS bands" : "tuned")} {m}x{n}x{k}");
    }

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    public void BatchedMatMulBroadcastsItsBatchDimensions(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var a = BackendHarness.Random(2 * 3 * 4 * 5, 1);
        var b = BackendHarness.Random(3 * 5 * 6, 2);
        var offsetsA = Enumerable.Range(0, 6).Select(i => i * 20).ToArray();
        var offsetsB = Enumerable.Range(0, 6).Select(i => (i % 3) * 30).ToArray();
        var p = new MatMulParams(6, 4, 6, 5, offsetsA, offsetsB, new(2, 3, 4, 6));
        var y = h.Empty(p.OutputShape);

        h.Backend.MatMul(y, h.Upload(a, 2, 3, 4, 5), h.Upload(b, 1, 3, 5, 6), p);

        var expected = new List<float>();
        for (var i = 0; i < 6; i++)
        {
            expected.AddRange(ReferenceOps.Gemm(a[offsetsA[i]..(offsetsA[i] + 20)], b[offsetsB[i]..(offsetsB[i] + 30)], null, new GemmParams(4, 6, 5, false, false, 1, 0, BiasLayout.None)));
        }

        Numerics.AssertClose(expected.ToArray(), h.Download(y), 1e-5, 1e-4, device);
    }
}
