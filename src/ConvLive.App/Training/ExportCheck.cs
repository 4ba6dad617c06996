// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Tensors;
using ConvLive.Engine.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ConvLive.App.Training;

/// <summary>Runs an exported classifier in ONNX Runtime and ConvLive's engine on the same picture and compares.</summary>
internal static class ExportCheck
{
    /// <summary>The probabilities both give for one (1,3,S,S) RGB picture in [0,1], and the comparison.</summary>
    /// <returns>ORT's output, ConvLive's output, and null or the first difference outside atol 1e-4 + rtol 1e-3.</returns>
    public static (float[] Ort, float[] Ours, string? Mismatch) Run(string exportPath, float[] rgb01, int size, IViewFeatures extractor, HeadTrainer head)
    {
        float[] ort;
        using (var options = new SessionOptions { IntraOpNumThreads = 1 })
        using (var session = new InferenceSession(exportPath, options))
        {
            var input = new DenseTensor<float>(rgb01, [1, 3, size, size]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(ClassifierExport.InputName, input)]);
            ort = results[0].AsEnumerable<float>().ToArray();
        }

        var features = new float[extractor.FeatureLength];
        extractor.ExtractPreprocessed(extractor.Spec.Normalise(rgb01, size), features);
        var ours = new float[head.Classes];
        head.Predict(features, ours);
        return (ort, ours, Tolerance.Compare(ort, ours, 1e-4, 1e-3));
    }
}
