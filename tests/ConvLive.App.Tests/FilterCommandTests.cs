// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.IO;
using ConvLive.Tests;
using OpenCvSharp;

namespace ConvLive.App.Tests;

/// <summary><c>convlive filter</c> through the real command line.</summary>
public sealed class FilterCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void FilterWritesTheMapAndPrintsTheArithmetic()
    {
        var input = _folder.File("split.png");
        using (var image = new Mat(30, 40, MatType.CV_8UC1, Scalar.All(0)))
        {
            image[new Rect(20, 0, 20, 30)].SetTo(Scalar.All(255));
            Cv2.ImWrite(input, image);
        }

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(1), "filter", "--kernel", "vertical", "--input", input,
            "--output-npy", _folder.File("map.npy"), "--output-png", _folder.File("map.png"), "--stride", "2", "--padding", "1", "--activation", "relu", "--pool", "max", "--pool-size", "2", "--pool-stride", "2");

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        Assert.Contains("(30 - 3 + 2*1)/2 + 1 = 15.5 -> 15: WARNING not a whole number", output, StringComparison.Ordinal);
        Assert.Contains("(40 - 3 + 2*1)/2 + 1 = 20.5 -> 20", output, StringComparison.Ordinal);
        var map = NpyFile.Read(_folder.File("map.npy"));
        Assert.Equal([7, 10], map.Shape.Dims.ToArray());
        Assert.Equal(3f, map.Data.Max(), 5);
        Assert.True(File.Exists(_folder.File("map.png")));
    }

    [Fact]
    public void AKernelFileWithARaggedRowIsRefusedWithItsLine()
    {
        var kernel = _folder.File("bad.txt");
        File.WriteAllLines(kernel, ["1 0 -1", "1 0", "1 0 -1"]);
        var (exit, _, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(1), "filter", "--kernel", kernel, "--input", "nothing.png", "--output-npy", _folder.File("x.npy"));
        Assert.Equal(2, exit);
        Assert.Contains("line 2 has 2 numbers", errors, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();
}
