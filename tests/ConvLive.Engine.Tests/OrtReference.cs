// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace ConvLive.Engine.Tests;

/// <summary>ONNX Runtime as the whole-model reference: runs a model and returns any values asked for, intermediate
/// ones included (they are added to the graph's outputs in a temporary copy of the model).</summary>
internal static class OrtReference
{
    public static Dictionary<string, float[]> Run(ModelProto model, string inputName, float[] input, int[] inputDims, IEnumerable<string> wanted)
    {
        var copy = model.Clone();
        var names = wanted.ToList();
        foreach (var name in names.Where(n => copy.Graph.Output.All(o => o.Name != n)))
        {
            copy.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } },
            });
        }

        using var options = new SessionOptions { IntraOpNumThreads = 2, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(copy.ToByteArray(), options);
        var tensor = new DenseTensor<float>(input, inputDims);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)], names);
        return results.ToDictionary(r => r.Name, r => r.AsEnumerable<float>().ToArray());
    }
}
