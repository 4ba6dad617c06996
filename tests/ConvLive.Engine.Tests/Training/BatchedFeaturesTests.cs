// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Reference;
using ConvLive.Engine.Training;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Training;

/// <summary>The training backbone run on a batch of augmented views gives each view the features a batch of one
/// gives its reference-augmented input, through ResNet-18's own preprocessing graph.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class BatchedFeaturesTests(DeviceFixture devices)
{
    [SkippableFact]
    public void ABatchOfViewsEqualsEachViewAloneThroughTheReferenceAugmentation()
    {
        Skip.IfNot(File.Exists(ResNetPackage.Network), ResNetPackage.Missing);
        using var backend = Backend.Create(devices.Get(DeviceKind.Cpu, out _)!);
        var graph = OnnxLoader.Load(ResNetPackage.Network);
        var prep = OnnxLoader.Load(Path.Combine(ResNetPackage.Models, "ResNetPrepOnnx", "ResNetPreprocess.onnx"));
        var spec = new InputSpec { Size = 224, Resize = 224, Channels = "RGB", Scale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] };
        using var batched = FeatureExtractor.Open(backend, "resnet18", graph, prep, spec, trainFullyConnected: false, batch: 3);
        using var single = FeatureExtractor.Open(backend, "resnet18", graph, prep, spec, trainFullyConnected: false);
        Assert.Equal(3, batched.Batch);
        Assert.Equal(512, batched.FeatureLength);

        // Two pictures of different sizes; the second gives two views (one upload).
        var random = new Random(3);
        byte[] a = new byte[160 * 120 * 3], b = new byte[90 * 130 * 3];
        random.NextBytes(a);
        random.NextBytes(b);
        var policy = new AugmentPolicy();
        var pb = batched.PreprocessFor(90, 130);
        PictureView[] views =
        [
            new(a, 160, 120, AugmentView.Identity(batched.PreprocessFor(160, 120))),
            new(b, 90, 130, policy.Draw(1, pb, random)),
            new(b, 90, 130, policy.Draw(2, pb, random) with { Blur = 1f }),
        ];
        var features = new float[3 * 512];
        batched.ExtractViews(views, features);

        for (var i = 0; i < views.Length; i++)
        {
            var v = views[i];
            var input = ReferenceOps.Augment(v.Bgr, batched.PreprocessFor(v.Width, v.Height), v.View);
            var alone = new float[512];
            single.ExtractPreprocessed(input, alone);
            Numerics.AssertClose(alone, features.AsSpan(i * 512, 512), 1e-3, 1e-3, $"view {i}");
        }

        // Fewer views than the batch, and the plain picture through the batch-1 path.
        var two = new float[2 * 512];
        batched.ExtractViews(views.AsSpan(0, 2), two);
        Numerics.AssertClose(features.AsSpan(0, 1024), two, 1e-5, 1e-4, "a partial batch");
        var plain = new float[512];
        single.Extract(a, 160, 120, plain);
        Numerics.AssertClose(plain, features.AsSpan(0, 512), 1e-4, 1e-3, "identity view vs Extract");
        Assert.Throws<ArgumentException>(() => batched.ExtractViews([.. views, .. views], new float[6 * 512]));
    }
}
