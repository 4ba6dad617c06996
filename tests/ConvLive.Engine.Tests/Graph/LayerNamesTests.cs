// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Graph;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Graph;

/// <summary>Layer names a person reads: the AlexNet paper's for a plain stack, torchvision's for ResNet.</summary>
public sealed class LayerNamesTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void AlexNetInTheZooLayoutGetsThePapersNames()
    {
        var graph = OnnxLoader.Load(SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 1, size: 99, width: 0.0625), _folder.File("zoo.onnx")));
        var names = LayerNames.For(graph);
        Assert.Equal(["conv1", "norm1", "pool1", "conv2", "norm2", "pool2", "conv3", "conv4", "conv5", "pool5", "fc6", "fc7", "fc8"], Ordered(graph, names));
    }

    [Fact]
    public void AlexNetInTheTorchvisionLayoutToo()
    {
        var graph = OnnxLoader.Load(SeededAlexNet.Save(SeededAlexNet.Torchvision(seed: 1, size: 99, width: 0.0625), _folder.File("tv.onnx")));
        var names = Ordered(graph, LayerNames.For(graph));
        Assert.Equal(["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5"], names.Take(8));
        Assert.Equal(["fc6", "fc7", "fc8"], names.Where(n => n.StartsWith("fc", StringComparison.Ordinal)));
    }

    [SkippableFact]
    public void ResNet18GetsTorchvisionsBlockNamesWithTheProjectionsAsDownsample()
    {
        var path = ResNetPackage.Network;
        Skip.IfNot(File.Exists(path), ResNetPackage.Missing);
        var graph = OnnxLoader.Load(path);
        var names = LayerNames.For(graph);
        Assert.True(ResNet18Names().SequenceEqual(Ordered(graph, names)), string.Join(", ", Ordered(graph, names)));
        Assert.Equal("layer2.0.downsample", names["Convolution295_Output_0"]);
        Assert.Equal("layer1.1.conv1", names["Convolution271_Output_0"]);
    }

    [SkippableFact]
    public void ResNet18KeepsTheNamesWhenBatchNormIsFoldedAndReluAndTheResidualAddsFusedIntoTheConvs()
    {
        var path = ResNetPackage.Network;
        Skip.IfNot(File.Exists(path), ResNetPackage.Missing);
        var fused = GraphFusion.Fuse(OnnxLoader.Load(path));
        Assert.Contains(fused.Nodes, n => n.OpType == GraphFusion.ConvRelu); // what bench profiles
        Assert.Equal(9, fused.Nodes.Count(n => n.OpType == GraphFusion.ConvAddRelu)); // every block's Add and Relu (nine blocks here)
        Assert.DoesNotContain(fused.Nodes, n => n.OpType is "Add" or "Relu");
        var names = LayerNames.For(fused);
        Assert.True(ResNet18Names().SequenceEqual(Ordered(fused, names)), string.Join(", ", Ordered(fused, names)));
        Assert.Equal("conv1", names[fused.Nodes.Single(n => n.Name == "Convolution249").Outputs[0]]);
        Assert.Equal("layer2.0.downsample", names[fused.Nodes.Single(n => n.Name == "Convolution295").Outputs[0]]);
        Assert.Equal("layer1.1.conv1", names[fused.Nodes.Single(n => n.Name == "Convolution271").Outputs[0]]);
    }

    [Fact]
    public void AlexNetWithReluFusedIntoItsConvsToo()
    {
        var graph = GraphFusion.Fuse(OnnxLoader.Load(SeededAlexNet.Save(SeededAlexNet.Torchvision(seed: 1, size: 99, width: 0.0625), _folder.File("tv.onnx"))));
        Assert.Contains(graph.Nodes, n => n.OpType == GraphFusion.ConvRelu);
        Assert.Equal(["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5"], Ordered(graph, LayerNames.For(graph)).Take(8));
    }

    /// <summary>This export (CNTK's, through ML.NET) has 22 convolutions: a third block in layer4; ML.NET writes a
    /// stage's projection before its first block.</summary>
    private static List<string> ResNet18Names()
    {
        var expected = new List<string> { "conv1", "maxpool" };
        int[] blocks = [2, 2, 2, 3];
        for (var stage = 1; stage <= 4; stage++)
        {
            for (var block = 0; block < blocks[stage - 1]; block++)
            {
                if (stage > 1 && block == 0)
                {
                    expected.Add($"layer{stage}.0.downsample");
                }

                expected.Add($"layer{stage}.{block}.conv1");
                expected.Add($"layer{stage}.{block}.conv2");
            }
        }

        expected.Add("avgpool");
        return expected;
    }

    public void Dispose() => _folder.Dispose();

    private static List<string> Ordered(ModelGraph graph, IReadOnlyDictionary<string, string> names) =>
        graph.Nodes.Where(n => n.Outputs.Count > 0 && names.ContainsKey(n.Outputs[0])).Select(n => names[n.Outputs[0]]).ToList();
}
