// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Text.Json;
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
        Assert.True(root.GetProperty("framesInferred").GetInt64() > 3);
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

    public void Dispose() => _folder.Dispose();
}
