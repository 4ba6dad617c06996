// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Vision;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests;

/// <summary>Both fast filters (SIMD CPU and the ILGPU kernels) against the naive reference.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class FrameFilterTests(DeviceFixture devices)
{
    public static TheoryData<string, int, int, string> Cases()
    {
        var data = new TheoryData<string, int, int, string>();
        foreach (var device in new[] { "cpu", "ilgpu-cpu", "cuda", "opencl" })
        {
            foreach (var (w, h) in new[] { (1, 1), (5, 3), (17, 9), (64, 48), (131, 7) })
            {
                foreach (var kernel in new[] { "vertical", "horizontal", "sobel-x", "random-5x5" })
                {
                    data.Add(device, w, h, kernel);
                }
            }
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void ResponseAndColoursMatchTheNaiveReference(string deviceName, int width, int height, string kernelName)
    {
        using var filter = OpenFilter(deviceName);
        var kernel = KernelNamed(kernelName);
        filter.Kernel = kernel;
        var bgr = RandomFrame(width, height, seed: (width * 31) + height);
        var rgba = new byte[width * height * 4];
        var response = new float[width * height];

        filter.Run(bgr, width, height, rgba, response);

        var expected = FrameFilterReference.Correlate(FrameFilterReference.Grey(bgr, width, height), width, height, kernel);
        Numerics.AssertClose(expected, response, atol: 1e-5, rtol: 1e-5, $"{deviceName} {kernel} {width}x{height} response");
        var expectedColours = FrameFilterReference.Colour(expected, filter.Gain, kernel);
        var colourErrors = expectedColours.Zip(rgba, (e, a) => Math.Abs(e - a)).ToArray();
        Assert.True(colourErrors.Max() <= 1, $"colour differs by {colourErrors.Max()} at byte {Array.IndexOf(colourErrors, colourErrors.Max())}");
    }

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    public void VerticalKernelSeesVerticalEdgesButNotHorizontalOnes(string deviceName)
    {
        using var filter = OpenFilter(deviceName);
        const int w = 32, h = 32;
        var rgba = new byte[w * h * 4];
        var response = new float[w * h];

        // Left half black, right half white: a vertical edge between x = 15 and 16.
        filter.Run(Frame(w, h, (x, _) => x >= 16 ? (byte)255 : (byte)0), w, h, rgba, response);
        Assert.Equal(3f, response[(10 * w) + 15], 4);
        Assert.Equal(3f, response[(10 * w) + 16], 4);
        Assert.Equal(0f, response[(10 * w) + 8], 6);
        Assert.Equal(0f, response[(10 * w) + 24], 6);

        // Top half black, bottom half white: a horizontal edge; inside the image the vertical kernel is blind to it.
        filter.Run(Frame(w, h, (_, y) => y >= 16 ? (byte)255 : (byte)0), w, h, rgba, response);
        for (var y = 0; y < h; y++)
        {
            for (var x = 1; x < w - 1; x++)
            {
                Assert.Equal(0f, response[(y * w) + x], 6);
            }
        }
    }

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    public void FrameSizeChangesBetweenCallsAreHandled(string deviceName)
    {
        using var filter = OpenFilter(deviceName);
        foreach (var (w, h) in new[] { (40, 30), (8, 6), (40, 30) })
        {
            var bgr = RandomFrame(w, h, seed: w);
            var response = new float[w * h];
            filter.Run(bgr, w, h, new byte[w * h * 4], response);
            var expected = FrameFilterReference.Correlate(FrameFilterReference.Grey(bgr, w, h), w, h, filter.Kernel);
            Numerics.AssertClose(expected, response, 1e-5, 1e-5, $"{w}x{h}");
        }
    }

    [Theory]
    [InlineData(10, 10, 299, 400)]
    [InlineData(10, 10, 300, 399)]
    public void BuffersOfTheWrongSizeAreRefusedWithTheSizeNeeded(int w, int h, int bgrBytes, int rgbaBytes)
    {
        using var device = ComputeDevice.Open(DeviceKind.Cpu);
        using var filter = new CpuFrameFilter(device);
        var e = Assert.Throws<ArgumentException>(() => filter.Run(new byte[bgrBytes], w, h, new byte[rgbaBytes], []));
        Assert.Contains("10x10", e.Message, StringComparison.Ordinal);
    }

    private static Kernel2D KernelNamed(string name) => name switch
    {
        "vertical" => Kernel2D.Vertical,
        "horizontal" => Kernel2D.Horizontal,
        "sobel-x" => Kernel2D.SobelX,
        _ => new Kernel2D("random-5x5", 5, Enumerable.Range(0, 25).Select(i => (float)Math.Sin(i * 1.7)).ToArray()),
    };

    private static byte[] RandomFrame(int w, int h, int seed)
    {
        var bytes = new byte[w * h * 3];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Frame(int w, int h, Func<int, int, byte> grey)
    {
        var bytes = new byte[w * h * 3];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                bytes.AsSpan(((y * w) + x) * 3, 3).Fill(grey(x, y));
            }
        }

        return bytes;
    }

    private IFrameFilter OpenFilter(string deviceName)
    {
        Assert.True(DeviceKinds.TryParse(deviceName, out var kind));
        var device = devices.Get(kind, out var why);
        Skip.If(device is null, $"{deviceName} is not available here: {why}");
        return FrameFilters.Create(device!);
    }
}
