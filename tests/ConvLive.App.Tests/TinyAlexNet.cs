// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Models;

namespace ConvLive.App.Tests;

/// <summary>A quarter-width seeded zoo AlexNet installed as the backbone "tinyalex" in a models folder of its own
/// (point CONVLIVE_MODELS at it): training tests that need fully connected layers and conv5, fast.</summary>
internal static class TinyAlexNet
{
    /// <summary>Writes tinyalex.onnx and its manifest into <paramref name="folder"/>/models.</summary>
    /// <returns>The models folder and the model written.</returns>
    public static (string Models, Onnx.ModelProto Model) Install(string folder)
    {
        var models = Directory.CreateDirectory(Path.Combine(folder, "models")).FullName;
        var model = SeededAlexNet.Zoo(seed: 5, width: 0.25);
        SeededAlexNet.Save(model, Path.Combine(models, "tinyalex.onnx"));
        File.WriteAllText(Path.Combine(models, "tinyalex.json"), """
            { "name": "tinyalex", "file": "tinyalex.onnx",
              "input": { "size": 224, "resize": 224, "channels": "BGR", "scale": 1.0, "mean": [103.939, 116.779, 123.68], "std": [1, 1, 1] } }
            """);
        return (models, model);
    }
}
