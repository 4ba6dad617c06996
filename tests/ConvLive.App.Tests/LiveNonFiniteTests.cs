// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Text.Json;
using ConvLive.Tests;
using Google.Protobuf;
using OpenCvSharp;

namespace ConvLive.App.Tests;

/// <summary>A frame the network turns into NaN or Inf: said in the window, nothing kept from it, and the next good
/// frame is whole again.</summary>
public sealed class LiveNonFiniteTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void ABlackFrameThatGivesNaNIsSaidAndTheNextGoodFrameRecovers()
    {
        // y = m / m with m the mean of Relu(Conv(x)), the weights all positive: 1 on a lit picture, 0/0 = NaN on a
        // black one (whatever the normalisation, a black picture is the same negative or zero value everywhere).
        var path = _folder.File("ratio.onnx");
        Engine.IO.AtomicFile.Write(path, s => RatioModel().WriteTo(s));
        var pictures = _folder.File("pictures");
        Directory.CreateDirectory(pictures);
        for (var i = 0; i < 6; i++)
        {
            using var picture = new Mat(120, 160, MatType.CV_8UC3, i % 2 == 0 ? new Scalar(40, 200, 255) : Scalar.Black);
            Cv2.ImWrite(Path.Combine(pictures, $"frame_{i}.png"), picture);
        }

        var statsPath = _folder.File("stats.json");
        var shot = _folder.File("last.png");
        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3),
            "live", "--source", "images:" + Path.Combine(pictures, "frame_%d.png"), "--model", path, "--device", "cpu", "--headless", "--frames", "150",
            "--stats", statsPath, "--samples", _folder.File("samples"), "--explain", "gradient", "--select", "c:0", "--screenshot", shot);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        var nonFinite = stats.RootElement.GetProperty("nonFinite");
        var inferred = stats.RootElement.GetProperty("framesInferred").GetInt64();
        Assert.True(nonFinite.GetProperty("frames").GetInt32() > 0, $"no NaN frame among {inferred}: {nonFinite}");
        Assert.True(nonFinite.GetProperty("frames").GetInt32() < inferred, $"every frame was NaN: {nonFinite}");
        Assert.True(nonFinite.GetProperty("recovered").GetInt32() > 0, $"no good frame followed a bad one: {nonFinite}");
    }

    public void Dispose() => _folder.Dispose();

    private static Onnx.ModelProto RatioModel()
    {
        var model = TinyOnnx.Model("ratio", TinyOnnx.Value("x", 1, 3, 64, 64), TinyOnnx.Value("y", 1, 4));
        var g = model.Graph;
        var w = new Onnx.TensorProto { Name = "w", DataType = 1 };
        w.Dims.AddRange([4L, 3, 3, 3]);
        w.FloatData.AddRange(Enumerable.Repeat(0.1f, 4 * 3 * 3 * 3));
        g.Initializer.Add(w);
        g.Node.AddRange([
            TinyOnnx.Node("Conv", "conv", ["x", "w"], "c", ("kernel_shape", [3, 3])),
            TinyOnnx.Node("Relu", "relu", ["c"], "r"),
            TinyOnnx.Node("GlobalAveragePool", "gap", ["r"], "p"),
            TinyOnnx.Node("Flatten", "flatten", ["p"], "m"),
            TinyOnnx.Node("Div", "ratio", ["m", "m"], "y"),
        ]);
        return model;
    }
}
