// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.IO;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;
using Google.Protobuf;
using Onnx;
using ConvLive.Engine.Models;

namespace ConvLive.App.Tests;

/// <summary><c>infer</c>, <c>inspect</c> and damaged models, through the real command line.</summary>
public sealed class ModelCommandsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void InferWritesTheOutputAndEveryLayersTap()
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 5, width: 0.25), _folder.File("small.onnx"));
        var input = _folder.File("x.npy");
        NpyFile.Write(input, new TensorShape(1, 3, 224, 224), Enumerable.Range(0, 3 * 224 * 224).Select(i => (float)(i % 251) - 120f).ToArray());

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "infer", "--model", model, "--input", input, "--output", _folder.File("y.npy"), "--taps", _folder.File("taps"), "--device", "cpu");

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        var y = NpyFile.Read(_folder.File("y.npy"));
        Assert.Equal(new TensorShape(1, 1000), y.Shape);
        Assert.Equal(1.0, y.Data.Sum(), 3);
        Assert.Equal(new TensorShape(1, 24, 54, 54), NpyFile.Read(Path.Combine(_folder.File("taps"), "conv1_1.npy")).Shape);
        Assert.Equal(24, Directory.GetFiles(_folder.File("taps"), "*.npy").Length);
    }

    [Fact]
    public void ModelsSeededWritesAFullSizeAlexNetTheInspectorRecognises()
    {
        var path = _folder.File("seeded.onnx");

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "models", "seeded", "alexnet-zoo", "--out", path, "--seed", "3");

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        var (inspectExit, table, _) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "inspect", "--model", path, "--input-size", "227");
        Assert.Equal(0, inspectExit);
        Assert.Contains("34,944", table, StringComparison.Ordinal);
        var loaded = Engine.Onnx.OnnxLoader.Load(path).Initializers.Values.Where(v => v.Type == Engine.Graph.ElementType.Float32);
        Assert.Equal(60_965_224, loaded.Sum(v => (long)v.Shape.Length)); // AlexNet's parameters
    }

    [Fact]
    public void InspectPrintsTheLecturesNumbersWithThousandsSeparated()
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 5), _folder.File("zoo.onnx"));

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "inspect", "--model", model, "--input-size", "227");

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{errors}");
        var conv1 = output.Split('\n').Single(l => l.StartsWith("conv1_1 ", StringComparison.Ordinal));
        Assert.Contains("96×55×55", conv1, StringComparison.Ordinal);
        Assert.Contains("34,944", conv1, StringComparison.Ordinal);
        Assert.Contains("105,705,600", conv1, StringComparison.Ordinal);
        Assert.Contains("11×11", conv1, StringComparison.Ordinal);
        Assert.Contains("60,965,224", output.Split('\n').Single(l => l.StartsWith("total", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> DamagedModels() => new()
    {
        { "truncated", "truncated" },
        { "random-bytes", "not an ONNX model" },
        { "missing-initializer", "reads 'conv1_w_0'" },
        { "unsupported-op", "op FancyConv is not supported" },
        { "bad-group", "group=5" },
    };

    [Theory]
    [MemberData(nameof(DamagedModels))]
    public void ADamagedModelEndsInOneLineAndExitCode2(string damage, string expected)
    {
        var path = _folder.File(damage + ".onnx");
        var good = SeededAlexNet.Zoo(seed: 1, width: 0.125);
        switch (damage)
        {
            case "truncated":
                var bytes = good.ToByteArray();
                File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
                break;
            case "random-bytes":
                File.WriteAllBytes(path, Enumerable.Range(0, 5000).Select(i => (byte)((i * 7919) % 253)).ToArray());
                break;
            case "missing-initializer":
                good.Graph.Initializer.Remove(good.Graph.Initializer.Single(t => t.Name == "conv1_w_0"));
                File.WriteAllBytes(path, good.ToByteArray());
                break;
            case "unsupported-op":
                good.Graph.Node[0].OpType = "FancyConv";
                File.WriteAllBytes(path, good.ToByteArray());
                break;
            default:
                good.Graph.Node.Single(n => n.Name == "conv2_1").Attribute.Single(a => a.Name == "group").I = 5;
                File.WriteAllBytes(path, good.ToByteArray());
                break;
        }

        var input = _folder.File("x.npy");
        NpyFile.Write(input, new TensorShape(1, 3, 224, 224), new float[3 * 224 * 224]);
        foreach (var args in new[] { new[] { "infer", "--model", path, "--input", input, "--output", _folder.File("y.npy") }, ["inspect", "--model", path] })
        {
            var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(1), args);
            Assert.True(exit == 2, $"{args[0]} on {damage}: exit {exit}\n{output}\n{errors}");
            var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.Contains(path, lines[0], StringComparison.Ordinal);
            Assert.Contains(expected, lines[0], StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AnInputOfTheWrongShapeIsNamedWithTheShapeExpected()
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 1, width: 0.125), _folder.File("m.onnx"));
        var input = _folder.File("x.npy");
        NpyFile.Write(input, new TensorShape(1, 3, 100, 100), new float[3 * 100 * 100]);

        var (exit, _, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(1), "infer", "--model", model, "--input", input, "--output", _folder.File("y.npy"));

        Assert.Equal(2, exit);
        Assert.Contains("holds 1x3x100x100", errors, StringComparison.Ordinal);
        Assert.Contains("expects 1x3x224x224", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text", "not a NumPy .npy file")]
    [InlineData("complex", "dtype '<c8' is not supported")]
    [InlineData("fortran", "Fortran order")]
    [InlineData("truncated", "(truncated?)")]
    public void ADamagedNpyInputIsOneLineNamingTheFileAndTheFix(string damage, string expected)
    {
        var model = SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 1, width: 0.125), _folder.File("m.onnx"));
        var input = _folder.File("x.npy");
        NpyFile.Write(input, new TensorShape(1, 3, 224, 224), new float[3 * 224 * 224]);
        var bytes = File.ReadAllBytes(input);
        var header = System.Text.Encoding.Latin1.GetString(bytes, 0, 128);
        switch (damage)
        {
            case "text":
                File.WriteAllText(input, "1,2,3\n");
                break;
            case "complex":
                File.WriteAllBytes(input, System.Text.Encoding.Latin1.GetBytes(header.Replace("<f4", "<c8", StringComparison.Ordinal)).Concat(bytes[128..]).ToArray());
                break;
            case "fortran":
                File.WriteAllBytes(input, System.Text.Encoding.Latin1.GetBytes(header.Replace("False", "True ", StringComparison.Ordinal)).Concat(bytes[128..]).ToArray());
                break;
            default:
                File.WriteAllBytes(input, bytes[..(bytes.Length / 2)]);
                break;
        }

        var (exit, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(1), "infer", "--model", model, "--input", input, "--output", _folder.File("y.npy"));
        Assert.True(exit == 2, $"exit {exit}\n{output}\n{errors}");
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(input, lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();
}
