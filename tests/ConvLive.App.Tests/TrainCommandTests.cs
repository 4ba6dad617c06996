// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using System.Text.RegularExpressions;
using ConvLive.Tests;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;
using OpenCvSharp.Dnn;
using ConvLive.Engine.Models;

namespace ConvLive.App.Tests;

/// <summary><c>convlive train</c> end to end on a generated picture set, and its export in ONNX Runtime and OpenCV DNN.</summary>
[Collection(TrainingRunsGroup.Name)]
public sealed partial class TrainCommandTests
{
    [SkippableFact]
    public void TrainReachesHighHeldOutAccuracyAndItsExportRunsInOnnxRuntimeAndOpenCv()
    {
        using var temp = new TempFolder();
        var data = Path.Combine(temp.Path, "shapes");
        ShapesDataset.Write(data, perClass: 60, seed: 7);
        var head = Path.Combine(temp.Path, "out", "shapes.onnx");
        var (code, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(5), "train", "--data", data, "--backbone", "resnet18-features", "--out", head, "--device", "cpu", "--epochs", "40");
        Assert.True(code == 0, $"exit {code}\n{output}\n{errors}");
        var accuracy = double.Parse(HeldOut().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(accuracy >= 95, output);
        Assert.Contains("export check: ONNX Runtime agrees", output, StringComparison.Ordinal);
        Assert.Equal(ShapesDataset.Classes, File.ReadAllLines(Path.Combine(temp.Path, "out", "shapes.labels.txt")));
        Assert.True(new FileInfo(Path.Combine(temp.Path, "out", "shapes.loss.png")).Length > 1000);
        Assert.True(File.Exists(Path.Combine(temp.Path, "out", "shapes.json")));

        // A new picture of each class: ONNX Runtime and OpenCV DNN give the same probabilities and the right class.
        var random = new Random(99);
        var inputs = new List<float>();
        var ortOutputs = new List<float[]>();
        using var session = new InferenceSession(head);
        using var net = CvDnn.ReadNetFromOnnx(head) ?? throw new InvalidOperationException("OpenCV DNN did not read the export");
        for (var c = 0; c < 3; c++)
        {
            using var picture = ShapesDataset.Draw(c, random, 224, 224);
            var rgb01 = ToRgb01(picture);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("image", new DenseTensor<float>(rgb01, [1, 3, 224, 224]))]);
            var ort = results[0].AsEnumerable<float>().ToArray();
            inputs.AddRange(rgb01);
            ortOutputs.Add(ort);
            Assert.Equal(3, ort.Length);
            Assert.Equal(1.0, ort.Sum(), 4);

            using var blob = CvDnn.BlobFromImage(picture, 1.0 / 255, new Size(224, 224), new Scalar(0, 0, 0), swapRB: true, crop: false);
            net.SetInput(blob, "image");
            using var cv = net.Forward();
            var opencv = new float[3];
            for (var k = 0; k < 3; k++)
            {
                opencv[k] = cv.At<float>(0, k);
            }

            Assert.Null(Engine.Tensors.Tolerance.Compare(ort, opencv, 1e-4, 1e-3));
        }

        // The same pictures through onnx.checker (full_check) and Debian's OpenCV DNN 4.6 (python3-opencv), which
        // refused a Conv without kernel_shape before the export wrote every attribute out.
        var (ok, why) = ExportCheckScript.Available();
        Skip.IfNot(ok, why);
        var inputsPath = Path.Combine(temp.Path, "inputs.npy");
        var outputsPath = Path.Combine(temp.Path, "cv46.npy");
        Engine.IO.NpyFile.Write(inputsPath, new Engine.Tensors.TensorShape(3, 3, 224, 224), inputs.ToArray());
        var (exit, text) = ExportCheckScript.Run(head, inputsPath, outputsPath);
        Assert.True(exit == 0, text);
        Assert.Contains("(full_check): ok", text, StringComparison.Ordinal);
        var cv46 = Engine.IO.NpyFile.Read(outputsPath);
        for (var c = 0; c < 3; c++)
        {
            Assert.Null(Engine.Tensors.Tolerance.Compare(ortOutputs[c], cv46.Data.AsSpan(c * 3, 3).ToArray(), 1e-4, 1e-3));
        }
    }

    [Theory]
    [InlineData(false, "head: 1024 -> 3 ")]
    [InlineData(true, "head: 2304 -> 1024 -> 1024 -> 3 ")]
    public void AnAlexNetBackboneIsCutAfterFc7OrWithTrainFcBeforeFc6AndTheExportAgrees(bool trainFc, string headLine)
    {
        using var temp = new TempFolder();
        var (models, _) = TinyAlexNet.Install(temp.Path);
        var data = Path.Combine(temp.Path, "shapes");
        ShapesDataset.Write(data, perClass: 8, seed: 3);
        var head = Path.Combine(temp.Path, "tiny.onnx");
        string[] args = ["train", "--data", data, "--backbone", "tinyalex", "--out", head, "--device", "cpu", "--epochs", "5", .. trainFc ? new[] { "--train-fc" } : []];
        var (code, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), new Dictionary<string, string> { ["CONVLIVE_MODELS"] = models }, null, args);
        Assert.True(code == 0, $"exit {code}\n{output}\n{errors}");
        Assert.Contains(headLine, output, StringComparison.Ordinal);
        Assert.Contains("export check: ONNX Runtime agrees", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AlexNetsConv5FineTunesAndTheExportHoldsItsNewWeightsAndAgreesWithOnnxRuntime()
    {
        using var temp = new TempFolder();
        var (models, original) = TinyAlexNet.Install(temp.Path);
        var data = Path.Combine(temp.Path, "shapes");
        ShapesDataset.Write(data, perClass: 4, seed: 3);
        var head = Path.Combine(temp.Path, "tuned.onnx");
        var (code, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(4), new Dictionary<string, string> { ["CONVLIVE_MODELS"] = models }, null,
            "train", "--data", data, "--backbone", "tinyalex", "--out", head, "--device", "cpu", "--epochs", "3", "--views", "2", "--train-layers", "conv5", "--fine-tune-epochs", "1", "--backbone-lr", "0.01");
        Assert.True(code == 0, $"exit {code}\n{output}\n{errors}");
        Assert.Contains("fine-tuning: 2 backbone tensors", output, StringComparison.Ordinal);
        Assert.Contains("export check: ONNX Runtime agrees", output, StringComparison.Ordinal);

        // conv5's weight in the export is the trained one, not the file's; conv1's is the file's.
        var conv5 = original.Graph.Node.Last(n => n.OpType == "Conv").Input[1];
        var conv1 = original.Graph.Node.First(n => n.OpType == "Conv").Input[1];
        var export = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(head));
        float[] Values(Onnx.ModelProto m, string name) => Engine.Onnx.OnnxTensors.ToHostValue(m.Graph.Initializer.Single(t => t.Name == name || t.Name == "net/" + name), name).Floats!;
        Assert.NotEqual(Values(original, conv5), Values(export, conv5));
        Assert.Equal(Values(original, conv1), Values(export, conv1));
    }

    [SkippableFact]
    public void EveryResNetConvolutionFineTunesAndTheExportAgreesWithOnnxRuntime()
    {
        using var temp = new TempFolder();
        var data = Path.Combine(temp.Path, "shapes");
        ShapesDataset.Write(data, perClass: 3, seed: 4);
        var (code, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(4),
            "train", "--data", data, "--backbone", "resnet18-features", "--out", Path.Combine(temp.Path, "all.onnx"), "--device", "cpu", "--epochs", "3", "--views", "2", "--train-layers", "all", "--fine-tune-epochs", "1", "--no-cache");
        Assert.True(code == 0, $"exit {code}\n{output}\n{errors}");
        var tensors = Regex.Match(output, @"fine-tuning: (\d+) backbone tensors");
        Assert.True(tensors.Success && int.Parse(tensors.Groups[1].Value, CultureInfo.InvariantCulture) >= 20, output); // ResNet-18's 20 convolutions, weights (and biases where they have them)
        Assert.Contains("export check: ONNX Runtime agrees", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AFolderWithOneClassIsAOneLineError()
    {
        using var temp = new TempFolder();
        var data = Path.Combine(temp.Path, "one");
        Directory.CreateDirectory(Path.Combine(data, "only"));
        File.WriteAllBytes(Path.Combine(data, "only", "0.png"), [1, 2, 3]);
        var (code, _, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(1), "train", "--data", data, "--out", Path.Combine(temp.Path, "h.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("at least two", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void BadPicturesAreSkippedWithAWarningAndAClassWithNoneLeftIsAOneLineError()
    {
        using var temp = new TempFolder();
        var data = Path.Combine(temp.Path, "messy");
        ShapesDataset.Write(data, perClass: 4, seed: 9);
        File.WriteAllBytes(Path.Combine(data, "circle", "50.png"), []); // zero bytes
        File.WriteAllBytes(Path.Combine(data, "circle", "51.png"), [0x89, 0x50, 0x4e, 0x47, 1, 2]); // cut short
        using (var tiny = new Mat(4, 4, MatType.CV_8UC3, Scalar.All(128)))
        {
            Cv2.ImWrite(Path.Combine(data, "cross", "52.png"), tiny);
        }

        Directory.CreateDirectory(Path.Combine(data, "empty"));
        Directory.CreateDirectory(Path.Combine(data, "junk"));
        File.WriteAllText(Path.Combine(data, "junk", "0.png"), "not a picture");
        string[] args = ["train", "--data", data, "--backbone", "resnet18-features", "--out", Path.Combine(temp.Path, "m.onnx"), "--device", "cpu", "--views", "2", "--epochs", "3", "--no-cache"];

        var (code, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), args);
        Assert.Equal(2, code);
        Assert.Contains($"{Path.Combine(data, "junk")}: none of its 1 pictures could be used", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);

        Directory.Delete(Path.Combine(data, "junk"), recursive: true);
        (code, output, errors) = ConvLiveProcess.Run(TimeSpan.FromMinutes(3), args);
        Assert.True(code == 0, $"exit {code}\n{output}\n{errors}");
        Assert.Contains("50.png: not a picture OpenCV can decode; skipped", errors, StringComparison.Ordinal);
        Assert.Contains("51.png: not a picture OpenCV can decode; skipped", errors, StringComparison.Ordinal);
        Assert.Contains("52.png: 4x4 is too small to train on", errors, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(data, "empty")}: no pictures; the class is left out", errors, StringComparison.Ordinal);
        Assert.Contains("data: 15 pictures in 3 classes", output, StringComparison.Ordinal);
        Assert.Contains("features: 12 pictures", output, StringComparison.Ordinal);
        Assert.Equal(ShapesDataset.Classes, File.ReadAllLines(Path.Combine(temp.Path, "m.labels.txt")));
    }

    private static float[] ToRgb01(Mat bgr)
    {
        int width = bgr.Width, height = bgr.Height;
        var plane = width * height;
        var x = new float[3 * plane];
        var index = 0;
        for (var y = 0; y < height; y++)
        {
            for (var col = 0; col < width; col++, index++)
            {
                var p = bgr.At<Vec3b>(y, col);
                x[index] = p.Item2 / 255f;
                x[plane + index] = p.Item1 / 255f;
                x[(2 * plane) + index] = p.Item0 / 255f;
            }
        }

        return x;
    }

    [GeneratedRegex(@"held-out accuracy: ([0-9.]+)%")]
    private static partial Regex HeldOut();
}
