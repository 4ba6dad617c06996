// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Backends.Cpu;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Ops;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Ops.Matrix;

/// <summary>
/// Batch-1 fully connected layers with fp32, bf16 and int8 weights against a double-precision product, within
/// each format's rounding bound: bf16 keeps 8 mantissa bits (relative error ≤ 2⁻⁹ per weight), int8 rounds each
/// weight to half a step of its row's scale. Constant weights in every precision are read by columns and skip the
/// input's zeros (<see cref="ColumnGemv"/>).
/// </summary>
[Collection(DevicesDefinition.Name)]
public sealed class FullyConnectedWeightsTests(DeviceFixture devices)
{
    [Theory]
    [InlineData(WeightPrecision.Float32, 1, 1)]
    [InlineData(WeightPrecision.Float32, 13, 1037)]
    [InlineData(WeightPrecision.BFloat16, 13, 1037)]
    [InlineData(WeightPrecision.BFloat16, 3, 5)]
    [InlineData(WeightPrecision.BFloat16, 64, 256)]  // the 8-wide loads in a second band of outputs
    [InlineData(WeightPrecision.BFloat16, 1000, 75)]
    [InlineData(WeightPrecision.Int8, 13, 1037)]
    [InlineData(WeightPrecision.Int8, 64, 256)]
    [InlineData(WeightPrecision.Int8, 2, 7)]
    public void EachPrecisionStaysWithinItsRoundingBound(WeightPrecision precision, int rows, int cols)
    {
        using var h = BackendHarness.Open(devices, "cpu", new BackendOptions { FullyConnectedWeights = precision });
        var w = BackendHarness.Random(rows * cols, 1);
        w[0] = 3f; // one large weight: int8's scale comes from it
        w[^1] = -2.5f; // and a row whose largest magnitude is negative
        var x = BackendHarness.Random(cols, 2);
        for (var k = 0; k < cols; k += 3)
        {
            x[k] = 0f; // a third of the inputs 0, as a Relu leaves them: their columns are not read
        }

        var bias = BackendHarness.Random(rows, 3);
        var wt = h.Upload(w, rows, cols);
        wt.IsConstant = true;
        var y = h.Empty(new(1, rows));

        h.Backend.Gemm(y, h.Upload(x, 1, cols), wt, h.Upload(bias, rows), new GemmParams(1, rows, cols, false, true, 1f, 1f, BiasLayout.Row));

        Assert.Equal(x.Count(v => v != 0f), ((CpuBackend)h.Backend).ColumnsRead);
        var actual = h.Download(y);
        for (var r = 0; r < rows; r++)
        {
            double exact = bias[r], magnitude = 0, rowMax = 0;
            for (var k = 0; k < cols; k++)
            {
                exact += (double)w[(r * cols) + k] * x[k];
                magnitude += Math.Abs((double)w[(r * cols) + k] * x[k]);
                rowMax = Math.Max(rowMax, Math.Abs(w[(r * cols) + k]));
            }

            var sumX = x.Sum(v => Math.Abs((double)v));
            var bound = precision switch
            {
                WeightPrecision.BFloat16 => (magnitude / 256) + 1e-5,
                WeightPrecision.Int8 => (rowMax / 127 / 2 * sumX) + 1e-5,
                _ => (magnitude * 1e-6) + 1e-6,
            };
            var error = Math.Abs(actual[r] - exact);
            Assert.True(error <= bound, $"{precision} row {r}: {actual[r]} vs {exact}, |diff| {error:G3} > bound {bound:G3}");
        }
    }

    [Fact]
    public void BFloat16RoundsToNearestEven()
    {
        Assert.Equal(0x3F80, BFloat16Format.From(1f));
        Assert.Equal(0x3F80, BFloat16Format.From(BitConverter.UInt32BitsToSingle(0x3F808000))); // tie → even
        Assert.Equal(0x3F82, BFloat16Format.From(BitConverter.UInt32BitsToSingle(0x3F818000))); // tie → even (up)
        Assert.Equal(0x3F81, BFloat16Format.From(BitConverter.UInt32BitsToSingle(0x3F808001)));
        Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle((uint)BFloat16Format.From(float.NaN) << 16)));
    }
}
