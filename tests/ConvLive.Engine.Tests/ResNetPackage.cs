// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Tests;

/// <summary>Where NuGet restored Microsoft.ML.DnnImageFeaturizer.ResNet18 (trained ImageNet weights, offline).</summary>
internal static class ResNetPackage
{
    /// <summary>The package's DnnImageModels folder.</summary>
    public static readonly string Models = Path.Combine(
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
        "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels");

    /// <summary>ResNet18.onnx: the network up to its pooled features.</summary>
    public static readonly string Network = Path.Combine(Models, "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>Why a test that needs it skips.</summary>
    public static string Missing => $"the ResNet-18 package is not restored at {Models}";
}
