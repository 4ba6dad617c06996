// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Text.Json;
using Google.Protobuf;
using ConvLive.Engine.Models;
using ConvLive.Tests;

namespace ConvLive.App.Tests;

/// <summary><c>live --explain</c>: the explanation's backward pass runs on every inferred frame and the stats say so.</summary>
public sealed class LiveExplainTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Theory]
    [InlineData("gradcam")]
    [InlineData("guided")]
    [InlineData("gradient")]
    [InlineData("deconv")]
    public void AHeadlessRunExplainsEveryFrameItInfers(string method)
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 5, width: 0.25), _folder.File("small.onnx"));
        var statsPath = _folder.File("stats.json");
        var shot = _folder.File("shot.png");

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3),
            "live", "--source", "synthetic", "--model", model, "--device", "cpu", "--headless", "--frames", "90",
            "--size", "960x540", "--explain", method, "--screenshot", shot, "--stats", statsPath, "--samples", _folder.File("samples"));

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        var root = stats.RootElement;
        Assert.Equal(method, root.GetProperty("explain").GetString());
        Assert.True(root.GetProperty("stageMsP50").GetProperty("explain").GetDouble() > 0, "no explanation ran");
        // How many frames a loaded CI machine infers in the run varies; the run always waits for its first result.
        Assert.True(root.GetProperty("framesInferred").GetInt64() >= 1);
        Assert.True(File.Exists(shot));
    }

    [Fact]
    public void WithoutExplainNoBackwardRuns()
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 5, width: 0.25), _folder.File("small.onnx"));
        var statsPath = _folder.File("stats.json");

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3),
            "live", "--source", "synthetic", "--model", model, "--device", "cpu", "--headless", "--frames", "40", "--stats", statsPath, "--samples", _folder.File("samples"));

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        Assert.Equal("none", stats.RootElement.GetProperty("explain").GetString());
        Assert.Equal(JsonValueKind.Null, stats.RootElement.GetProperty("stageMsP50").GetProperty("explain").ValueKind);
    }

    [Fact]
    public void AViewTheModelCannotGiveIsSwitchedOffAndTheRunGoesOn()
    {
        // Flatten + Gemm: no convolution, so no Grad-CAM.
        var model = TinyOnnx.Model("mlp", TinyOnnx.Value("x", 1, 3, 224, 224), TinyOnnx.Value("y", 1, 10));
        var g = model.Graph;
        var w = new Onnx.TensorProto { Name = "w", DataType = 1 };
        w.Dims.AddRange([10L, 3 * 224 * 224]);
        w.FloatData.AddRange(Enumerable.Range(0, 10 * 3 * 224 * 224).Select(i => (float)Math.Sin(i) * 0.01f));
        g.Initializer.Add(w);
        var flatten = new Onnx.NodeProto { OpType = "Flatten", Name = "flatten" };
        flatten.Input.Add("x");
        flatten.Output.Add("f");
        var gemm = new Onnx.NodeProto { OpType = "Gemm", Name = "fc" };
        gemm.Input.AddRange(["f", "w"]);
        gemm.Output.Add("y");
        gemm.Attribute.Add(new Onnx.AttributeProto { Name = "transB", Type = Onnx.AttributeProto.Types.AttributeType.Int, I = 1 });
        g.Node.AddRange([flatten, gemm]);
        var path = _folder.File("mlp.onnx");
        Engine.IO.AtomicFile.Write(path, s => model.WriteTo(s));
        var statsPath = _folder.File("stats.json");

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3),
            "live", "--source", "synthetic", "--model", path, "--device", "cpu", "--headless", "--frames", "120", "--explain", "gradcam", "--stats", statsPath, "--samples", _folder.File("samples"));

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
        Assert.Equal("none", stats.RootElement.GetProperty("explain").GetString());
        Assert.True(stats.RootElement.GetProperty("framesInferred").GetInt64() >= 2, "the run went on");
    }

    public void Dispose() => _folder.Dispose();
}
