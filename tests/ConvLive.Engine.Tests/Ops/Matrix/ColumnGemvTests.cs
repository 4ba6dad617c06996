// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Backends.Cpu;
using ConvLive.Engine.Ops;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Matrix;

/// <summary>Batch-1 fully connected layers with constant fp32 weights, read by columns and skipping the input's
/// zeros (<see cref="ColumnGemv"/>): against a double-precision product, what is skipped, and IEEE semantics kept.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class ColumnGemvTests(DeviceFixture devices)
{
    [Theory]
    [InlineData(1, 1, 0.0)]
    [InlineData(13, 1037, 0.5)]   // rows not a multiple of 8 (a scalar tail in each band), half the inputs 0
    [InlineData(64, 256, 0.0)]    // no zeros: every column read
    [InlineData(100, 300, 1.0)]   // every input 0: the bias alone
    [InlineData(1000, 75, 0.3)]   // more outputs than inputs (fc8's shape, smaller)
    [InlineData(7, 9, 0.6)]       // fewer rows than a band's vector
    public void ConstantWeightsMatchTheExactProductAndOnlyNonZeroInputsAreRead(int rows, int cols, double zeros)
    {
        using var h = BackendHarness.Open(devices, "cpu");
        var w = BackendHarness.Random(rows * cols, rows + cols);
        var x = BackendHarness.Random(cols, rows);
        var random = new Random(cols);
        for (var k = 0; k < cols; k++)
        {
            x[k] = random.NextDouble() < zeros ? (k % 2 == 0 ? 0f : -0f) : x[k]; // a Relu's output has +0 and −0 alike
        }

        var bias = BackendHarness.Random(rows, 3);
        var wt = h.Upload(w, rows, cols);
        wt.IsConstant = true;
        var y = h.Empty(new(1, rows));
        var backend = (CpuBackend)h.Backend;

        foreach (var (alpha, beta, layout) in new[] { (1f, 1f, BiasLayout.Row), (0.5f, 0f, BiasLayout.None), (2f, 0.25f, BiasLayout.Row) })
        {
            h.Backend.Gemm(y, h.Upload(x, 1, cols), wt, layout == BiasLayout.None ? null : h.Upload(bias, rows), new GemmParams(1, rows, cols, false, true, alpha, beta, layout));

            Assert.IsType<ColumnGemv.Weights>(wt.Derived); // constant fp32 weights are read by columns
            Assert.Equal(x.Count(v => v != 0f), backend.ColumnsRead);
            var actual = h.Download(y);
            for (var r = 0; r < rows; r++)
            {
                double exact = 0, magnitude = 0;
                for (var k = 0; k < cols; k++)
                {
                    exact += (double)w[(r * cols) + k] * x[k];
                    magnitude += Math.Abs((double)w[(r * cols) + k] * x[k]);
                }

                exact = (alpha * exact) + (layout == BiasLayout.None ? 0 : beta * bias[r]);
                var bound = (magnitude * 1e-6) + 1e-6;
                Assert.True(Math.Abs(actual[r] - exact) <= bound, $"alpha {alpha} beta {beta} row {r}: {actual[r]} vs {exact}");
            }
        }
    }

    [Theory]
    [InlineData(float.PositiveInfinity, WeightPrecision.Float32)]
    [InlineData(float.NegativeInfinity, WeightPrecision.Float32)]
    [InlineData(float.NaN, WeightPrecision.Float32)]
    [InlineData(float.PositiveInfinity, WeightPrecision.BFloat16)]
    [InlineData(3.4e38f, WeightPrecision.BFloat16)] // finite in fp32, ∞ once rounded to bf16
    [InlineData(float.NaN, WeightPrecision.BFloat16)]
    public void ANonFiniteWeightTimesAZeroInputStillGivesNaNAndANaNInputIsNeverSkipped(float weight, WeightPrecision precision)
    {
        using var h = BackendHarness.Open(devices, "cpu", new BackendOptions { FullyConnectedWeights = precision });
        const int Rows = 16, Cols = 24;
        var w = BackendHarness.Random(Rows * Cols, 1);
        w[(3 * Cols) + 5] = weight; // row 3, column 5
        var x = BackendHarness.Random(Cols, 2);
        x[5] = 0f;
        var wt = h.Upload(w, Rows, Cols);
        wt.IsConstant = true;
        var y = h.Empty(new(1, Rows));
        var p = new GemmParams(1, Rows, Cols, false, true, 1f, 0f, BiasLayout.None);

        h.Backend.Gemm(y, h.Upload(x, 1, Cols), wt, null, p);

        var actual = h.Download(y);
        Assert.True(float.IsNaN(actual[3]), $"0·{weight} in row 3 gave {actual[3]}, not NaN");
        Assert.Equal(Rows - 1, actual.Count(float.IsFinite));
        Assert.Equal(Cols, ((CpuBackend)h.Backend).ColumnsRead); // a matrix with a non-finite weight is read whole

        // Finite weights: a NaN input is not 0, so its column is read and its outputs are NaN.
        w[(3 * Cols) + 5] = 1f;
        h.Backend.Upload(wt, w);
        x[7] = float.NaN;
        h.Backend.Gemm(y, h.Upload(x, 1, Cols), wt, null, p);
        Assert.All(h.Download(y), v => Assert.True(float.IsNaN(v)));
        Assert.Equal(Cols - 1, ((CpuBackend)h.Backend).ColumnsRead);
    }

    [Fact]
    public void Int8WeightsAreAlwaysFiniteSoZeroInputsAreSkippedEvenBesideAnInfinity()
    {
        // int8 clamps ±∞ to ±127 (its row's scale falls back to 1), as the row-by-row int8 form did: no NaN to keep.
        using var h = BackendHarness.Open(devices, "cpu", new BackendOptions { FullyConnectedWeights = WeightPrecision.Int8 });
        const int Rows = 16, Cols = 24;
        var w = BackendHarness.Random(Rows * Cols, 1);
        w[(3 * Cols) + 5] = float.PositiveInfinity;
        var x = BackendHarness.Random(Cols, 2);
        x[5] = 0f;
        x[6] = 0f;
        var wt = h.Upload(w, Rows, Cols);
        wt.IsConstant = true;
        var y = h.Empty(new(1, Rows));

        h.Backend.Gemm(y, h.Upload(x, 1, Cols), wt, null, new GemmParams(1, Rows, Cols, false, true, 1f, 0f, BiasLayout.None));

        Assert.All(h.Download(y), v => Assert.True(float.IsFinite(v), $"{v}"));
        Assert.Equal(Cols - 2, ((CpuBackend)h.Backend).ColumnsRead);
    }

    [Fact]
    public void EachOutputSumsItsTermsInOneOrderWhateverTheThreads()
    {
        const int Rows = 1000, Cols = 700;
        var w = BackendHarness.Random(Rows * Cols, 8);
        var x = BackendHarness.Random(Cols, 9).Select(v => v < 0f ? 0f : v).ToArray();
        float[] Run(int threads)
        {
            using var device = Devices.ComputeDevice.Open(Devices.DeviceKind.Cpu, null, threads);
            using var h = new BackendHarness(Engine.Backends.Backend.Create(device, new BackendOptions()));
            var wt = h.Upload(w, Rows, Cols);
            wt.IsConstant = true;
            var y = h.Empty(new(1, Rows));
            h.Backend.Gemm(y, h.Upload(x, 1, Cols), wt, null, new GemmParams(1, Rows, Cols, false, true, 1f, 0f, BiasLayout.None));
            return h.Download(y);
        }

        var one = Run(1);
        foreach (var threads in new[] { 2, 3 })
        {
            var other = Run(threads);
            var differ = Enumerable.Range(0, Rows).FirstOrDefault(i => BitConverter.SingleToInt32Bits(one[i]) != BitConverter.SingleToInt32Bits(other[i]), -1);
            Assert.True(differ < 0, $"{threads} threads differ from one at output {differ}");
        }
    }

    [Fact]
    public void AnUploadReplacesTheTransposedCopyAndTrainedWeightsStayRowByRow()
    {
        using var h = BackendHarness.Open(devices, "cpu");
        const int Rows = 40, Cols = 33;
        var x = BackendHarness.Random(Cols, 5);
        var wt = h.Upload(BackendHarness.Random(Rows * Cols, 6), Rows, Cols);
        wt.IsConstant = true;
        var y = h.Empty(new(1, Rows));
        var p = new GemmParams(1, Rows, Cols, false, true, 1f, 0f, BiasLayout.None);
        h.Backend.Gemm(y, h.Upload(x, 1, Cols), wt, null, p);
        var first = wt.Derived;

        var w2 = BackendHarness.Random(Rows * Cols, 7);
        h.Backend.Upload(wt, w2);
        h.Backend.Gemm(y, h.Upload(x, 1, Cols), wt, null, p);
        Assert.NotSame(first, wt.Derived);
        var expected = Enumerable.Range(0, Rows).Select(r => Enumerable.Range(0, Cols).Sum(k => (double)w2[(r * Cols) + k] * x[k])).ToArray();
        Numerics.AssertClose(expected.Select(v => (float)v).ToArray(), h.Download(y), 1e-5, 1e-5, "after an upload");

        // A weight being trained (not constant) changes in place between calls: no copy of it is kept.
        var trained = h.Upload(w2, Rows, Cols);
        h.Backend.Gemm(y, h.Upload(x, 1, Cols), trained, null, p);
        Assert.IsType<CompactGemv.Weights>(trained.Derived);
    }
}
