// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Text.Json;
using ConvLive.Tests;

namespace ConvLive.App.Tests;

/// <summary><c>convlive bench model</c> times ConvLive and ONNX Runtime in one run (figures are never asserted).</summary>
public sealed class BenchCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void BenchModelTimesBothEnginesAndWritesJson()
    {
        var model = AlexNetModels.Save(AlexNetModels.Torchvision(seed: 1, width: 0.125), _folder.File("small.onnx"));
        var json = _folder.File("bench.json");

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "bench", "model", "--model", model, "--runs", "5", "--json", json);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var engines = doc.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("engine").GetString()!).ToArray();
        Assert.Equal(["convlive/cpu", "onnxruntime"], engines);
        Assert.All(doc.RootElement.GetProperty("results").EnumerateArray(), r => Assert.True(r.GetProperty("medianMs").GetDouble() > 0));
    }

    public void Dispose() => _folder.Dispose();
}
