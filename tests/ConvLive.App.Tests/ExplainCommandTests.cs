// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.IO;
using Google.Protobuf;
using ConvLive.Engine.Models;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;

namespace ConvLive.App.Tests;

/// <summary><c>explain</c> and <c>bench --backward</c> through the real command line: every method, pictures as
/// input, the overlay, and one-line messages for every kind of bad request.</summary>
public sealed class ExplainCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void EveryMethodWritesItsMapAndTheOverlayShowsIt()
    {
        var (model, input) = SmallAlexNet();
        foreach (var (method, shape) in new[] { ("gradient", new TensorShape(1, 3, 224, 224)), ("guided", new TensorShape(1, 3, 224, 224)), ("deconv", new TensorShape(1, 3, 224, 224)), ("gradcam", new TensorShape(12, 12)) })
        {
            var output = _folder.File($"{method}.npy");
            var png = _folder.File($"{method}.png");
            var (exit, text, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "explain", "--model", model, "--input", input, "--class", "7", "--method", method, "--output", output, "--png", png, "--device", "cpu");

            Assert.True(exit == 0, $"{method}: exit {exit}\n{text}\n{errors}");
            var map = NpyFile.Read(output);
            Assert.Equal(shape, map.Shape);
            Assert.Contains(map.Data, v => v != 0f);
            Assert.All(map.Data, v => Assert.True(float.IsFinite(v)));
            Assert.Contains("class 7", text, StringComparison.Ordinal);
            var bytes = File.ReadAllBytes(png);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        }

        // Guided backpropagation is not the plain gradient: it drops the negative paths.
        Assert.NotEqual(NpyFile.Read(_folder.File("gradient.npy")).Data, NpyFile.Read(_folder.File("guided.npy")).Data);
    }

    [Fact]
    public void APictureIsPreprocessedAsLiveDoesAndAUnitCanBeExplained()
    {
        var picture = _folder.File("picture.png");
        var rgba = new byte[320 * 240 * 4];
        for (var i = 0; i < 320 * 240; i++)
        {
            rgba[4 * i] = (byte)(i % 320);
            rgba[(4 * i) + 1] = (byte)(i / 320);
            rgba[(4 * i) + 2] = (byte)((i % 320) ^ (i / 320));
            rgba[(4 * i) + 3] = 255;
        }

        Pictures.WritePng(picture, rgba, 320, 240);
        var output = _folder.File("unit.npy");

        var (exit, text, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "explain", "--model", "resnet18-features", "--input", picture, "--unit", "Convolution257_Output_0:3", "--method", "guided", "--output", output, "--device", "cpu");

        Assert.True(exit == 0, $"exit {exit}\n{text}\n{errors}");
        Assert.Contains("unit Convolution257_Output_0:3", text, StringComparison.Ordinal);
        var map = NpyFile.Read(output);
        Assert.Equal(new TensorShape(1, 3, 224, 224), map.Shape);
        Assert.Contains(map.Data, v => v != 0f);
    }

    [Fact]
    public void AUnitAtAPositionLightsOnlyItsReceptiveField()
    {
        var (_, input) = SmallAlexNet();
        var output = _folder.File("cell.npy");

        var (exit, text, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "explain", "--model", "resnet18-features", "--input", input, "--unit", "Convolution257_Output_0:3@20,20", "--method", "gradient", "--output", output, "--device", "cpu");

        Assert.True(exit == 0, $"exit {exit}\n{text}\n{errors}");
        Assert.Contains("unit Convolution257_Output_0:3@20,20", text, StringComparison.Ordinal);
        // conv1 7x7/2 pad 3, max pool 3x3/2 pad 1, then 3x3/1 pad 1: a 19-pixel field every 4 pixels from -9,
        // so unit (20, 20) sees input rows and columns 71..89 and nothing else.
        // Outside it, zero up to round-off (Winograd's transforms leave ~1e-12 where the exact sum is 0).
        var map = NpyFile.Read(output);
        var tolerance = 1e-6f * map.Data.Max(Math.Abs);
        var inside = false;
        for (var i = 0; i < map.Data.Length; i++)
        {
            int x = i % 224, y = i / 224 % 224;
            var within = x is >= 71 and <= 89 && y is >= 71 and <= 89;
            Assert.True(within || Math.Abs(map.Data[i]) <= tolerance, $"gradient {map.Data[i]} at ({x}, {y}), outside the unit's field (tolerance {tolerance})");
            inside |= within && Math.Abs(map.Data[i]) > tolerance;
        }

        Assert.True(inside, "no gradient inside the field");
    }

    [Theory]
    [InlineData("--unit", "conv1_1:0@99,99", "position (99, 99) is not in 'conv1_1'")]
    [InlineData("--unit", "conv1_1:0@7", "the position after @ is COLUMN,ROW")]
    [InlineData("--class", "1000", "class 1000 is out of range")]
    [InlineData("--layer", "nope", "--layer nope: the model has no float value of that name")]
    [InlineData("--layer", "fc6_1", "without spatial axes")]
    [InlineData("--unit", "conv1_1", "give VALUE:CHANNEL")]
    [InlineData("--unit", "conv1_1:500", "a channel must be in [0, 23]")]
    public void ABadRequestGetsOneLineNamingIt(string option, string value, string message)
    {
        var (model, input) = SmallAlexNet();
        var method = option == "--layer" ? "gradcam" : "gradient";

        var (exit, text, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "explain", "--model", model, "--input", input, option, value, "--method", method, "--output", _folder.File("out.npy"), "--device", "cpu");

        Assert.True(exit == 2, $"exit {exit}\n{text}\n{errors}");
        Assert.Contains(message, errors, StringComparison.Ordinal);
        Assert.Single(errors.Trim().Split('\n'));
        Assert.False(File.Exists(_folder.File("out.npy")));
    }

    [Fact]
    public void BenchBackwardTimesForwardAgainstForwardPlusGradient()
    {
        var (model, _) = SmallAlexNet();

        var (exit, text, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "bench", "--model", model, "--backward", "--runs", "5", "--json", _folder.File("b.json"));

        Assert.True(exit == 0, $"exit {exit}\n{text}\n{errors}");
        Assert.Matches(@"cpu\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+x", text);
        Assert.Contains("by op: ", text, StringComparison.Ordinal);
        Assert.Contains("\"forwardAndGradientMs\"", File.ReadAllText(_folder.File("b.json")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nan", "element 0 is NaN; a network input must be finite")]
    [InlineData("inf", "element 5 is +infinity; a network input must be finite")]
    [InlineData("shape", "is 1x3x100x50; ")]
    [InlineData("truncated", "(truncated?)")]
    [InlineData("dtype", "dtype '<i2' is not supported; use float32")]
    public void ABadNpyInputIsOneLineNamingTheFileAndTheProblem(string kind, string message)
    {
        var (model, good) = SmallAlexNet();
        var input = _folder.File(kind + ".npy");
        switch (kind)
        {
            case "nan":
                NpyFile.Write(input, new TensorShape(1, 3, 224, 224), Enumerable.Repeat(float.NaN, 3 * 224 * 224).ToArray());
                break;
            case "inf":
                var x = new float[3 * 224 * 224];
                x[5] = float.PositiveInfinity;
                NpyFile.Write(input, new TensorShape(1, 3, 224, 224), x);
                break;
            case "shape":
                NpyFile.Write(input, new TensorShape(1, 3, 100, 50), new float[3 * 100 * 50]);
                break;
            case "dtype":
                NpyFile.Write(input, new TensorShape(1, 3, 224, 112), new float[3 * 224 * 112]); // as many bytes as 1x3x224x224 int16
                var bytes = File.ReadAllBytes(input);
                var at = System.Text.Encoding.ASCII.GetString(bytes).IndexOf("<f4", StringComparison.Ordinal);
                bytes[at + 1] = (byte)'i';
                bytes[at + 2] = (byte)'2';
                File.WriteAllBytes(input, bytes);
                break;
            default:
                File.WriteAllBytes(input, File.ReadAllBytes(good).AsSpan(0, 1000).ToArray());
                break;
        }

        var (exit, text, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "explain", "--model", model, "--input", input, "--method", "gradient", "--output", _folder.File("out.npy"), "--device", "cpu");

        Assert.True(exit == 2, $"exit {exit}\n{text}\n{errors}");
        Assert.Contains(message, errors, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(input), errors, StringComparison.Ordinal);
        Assert.Single(errors.Trim().Split('\n'));
        Assert.False(File.Exists(_folder.File("out.npy")));
    }

    [Fact]
    public void AnOpWithoutAGradientOnTheWayIsOneLineNamingTheNode()
    {
        // BatchNormalization whose running mean is computed from the input: the engine has no gradient for a
        // running statistic, and the input's gradient would need one.
        var model = TinyOnnx.Model("bn-stats", TinyOnnx.Value("x", 1, 3, 16, 16), TinyOnnx.Value("logits", 1, 3));
        var g = model.Graph;
        var shape = new Onnx.TensorProto { Name = "c", DataType = 7 };
        shape.Dims.Add(1);
        shape.Int64Data.Add(3);
        g.Initializer.Add(shape);
        foreach (var (name, value) in new[] { ("scale", 1f), ("bias", 0f), ("var", 1f) })
        {
            var t = new Onnx.TensorProto { Name = name, DataType = 1 };
            t.Dims.Add(3);
            t.FloatData.AddRange([value, value, value]);
            g.Initializer.Add(t);
        }

        g.Node.AddRange([
            TinyOnnx.Node("GlobalAveragePool", "mean_pool", ["x"], "pooled"),
            TinyOnnx.Node("Reshape", "mean_reshape", ["pooled", "c"], "mean"),
            TinyOnnx.Node("BatchNormalization", "bn_with_live_mean", ["x", "scale", "bias", "mean", "var"], "y"),
            TinyOnnx.Node("GlobalAveragePool", "head_pool", ["y"], "y_pooled"),
            TinyOnnx.Node("Flatten", "head_flatten", ["y_pooled"], "logits"),
        ]);
        var path = _folder.File("bn-stats.onnx");
        Engine.IO.AtomicFile.Write(path, s => model.WriteTo(s));
        var input = _folder.File("x.npy");
        NpyFile.Write(input, new TensorShape(1, 3, 16, 16), Enumerable.Range(0, 3 * 16 * 16).Select(i => (float)Math.Sin(i)).ToArray());

        var (exit, text, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(2), "explain", "--model", path, "--input", input, "--class", "1", "--method", "gradient", "--output", _folder.File("out.npy"), "--device", "cpu");

        Assert.True(exit == 2, $"exit {exit}\n{text}\n{errors}");
        Assert.Contains("node 'bn_with_live_mean' (BatchNormalization) has no gradient with respect to its input 3 ('mean')", errors, StringComparison.Ordinal);
        Assert.Contains("bn-stats.onnx", errors, StringComparison.Ordinal);
        Assert.Single(errors.Trim().Split('\n'));
        Assert.False(File.Exists(_folder.File("out.npy")));
    }

    public void Dispose() => _folder.Dispose();

    private (string Model, string Input) SmallAlexNet()
    {
        var model = _folder.File("small.onnx");
        if (!File.Exists(model))
        {
            SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 5, width: 0.25), model);
            var x = new float[3 * 224 * 224];
            for (var i = 0; i < x.Length; i++)
            {
                x[i] = (float)(100 * Math.Sin(i * 0.001) * Math.Cos(i % 224 * 0.05));
            }

            NpyFile.Write(_folder.File("x.npy"), new TensorShape(1, 3, 224, 224), x);
        }

        return (model, _folder.File("x.npy"));
    }
}
