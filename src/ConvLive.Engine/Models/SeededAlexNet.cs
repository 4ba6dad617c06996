// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using Google.Protobuf;
using Onnx;

namespace ConvLive.Engine.Models;

/// <summary>
/// Full-size AlexNet graphs with seeded random weights, structurally identical to the real ones, for benchmarks
/// and tests where the pretrained weights are not at hand (<c>convlive models seeded</c> writes them): the ONNX
/// model zoo's bvlcalexnet (96 kernels, ReLU then LRN before pooling, group 2 on conv2/4/5, pool5 pads [0,0,1,1], Reshape, Gemm transB, Dropout, Softmax, its value names) and a
/// torchvision export (64/192/384/256/256, conv1 pad 2, no LRN, AveragePool for the adaptive pool, Flatten).
/// </summary>
public static class SeededAlexNet
{
    /// <summary>The model zoo's layout; input data_0, output prob_1. <paramref name="width"/> scales every channel count.</summary>
    public static ModelProto Zoo(int seed, int size = 224, double width = 1.0)
    {
        var b = new Builder(seed, opset: 12);
        int c1 = Scale(96, width), c2 = Scale(256, width), c3 = Scale(384, width), c4 = Scale(384, width), c5 = Scale(256, width), f = Scale(4096, width);
        b.Input("data_0", 3, size);
        b.Conv("conv1_1", "data_0", "conv1", 3, c1, 11, stride: 4, pad: 0, group: 1);
        b.Node("Relu", "conv1_2", ["conv1_1"], "conv1_2");
        b.Node("LRN", "norm1_1", ["conv1_2"], "norm1_1", Int("size", 5), Float("alpha", 1e-4f), Float("beta", 0.75f), Float("bias", 1f));
        b.Node("MaxPool", "pool1_1", ["norm1_1"], "pool1_1", Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 0, 0, 0, 0));
        b.Conv("conv2_1", "pool1_1", "conv2", c1, c2, 5, stride: 1, pad: 2, group: 2);
        b.Node("Relu", "conv2_2", ["conv2_1"], "conv2_2");
        b.Node("LRN", "norm2_1", ["conv2_2"], "norm2_1", Int("size", 5), Float("alpha", 1e-4f), Float("beta", 0.75f), Float("bias", 1f));
        b.Node("MaxPool", "pool2_1", ["norm2_1"], "pool2_1", Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 0, 0, 0, 0));
        b.Conv("conv3_1", "pool2_1", "conv3", c2, c3, 3, stride: 1, pad: 1, group: 1);
        b.Node("Relu", "conv3_2", ["conv3_1"], "conv3_2");
        b.Conv("conv4_1", "conv3_2", "conv4", c3, c4, 3, stride: 1, pad: 1, group: 2);
        b.Node("Relu", "conv4_2", ["conv4_1"], "conv4_2");
        b.Conv("conv5_1", "conv4_2", "conv5", c4, c5, 3, stride: 1, pad: 1, group: 2);
        b.Node("Relu", "conv5_2", ["conv5_1"], "conv5_2");
        b.Node("MaxPool", "pool5_1", ["conv5_2"], "pool5_1", Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 0, 0, 1, 1));
        b.Int64Initializer("OC2_DUMMY_1", [1, -1]);
        b.Node("Reshape", "OC2_DUMMY_0", ["pool5_1", "OC2_DUMMY_1"], "OC2_DUMMY_0");
        var s1 = ((size - 11) / 4) + 1;
        var s2 = ((s1 - 3) / 2) + 1;
        var s3 = ((s2 - 3) / 2) + 1;
        var s5 = ((s3 + 1 - 3) / 2) + 1;
        b.Gemm("fc6_1", "OC2_DUMMY_0", "fc6", c5 * s5 * s5, f);
        b.Node("Relu", "fc6_2", ["fc6_1"], "fc6_2");
        b.Node("Dropout", "fc6_3", ["fc6_2"], "fc6_3");
        b.Gemm("fc7_1", "fc6_3", "fc7", f, f);
        b.Node("Relu", "fc7_2", ["fc7_1"], "fc7_2");
        b.Node("Dropout", "fc7_3", ["fc7_2"], "fc7_3");
        b.Gemm("fc8_1", "fc7_3", "fc8", f, 1000);
        b.Node("Softmax", "prob_1", ["fc8_1"], "prob_1");
        b.Output("prob_1");
        return b.Model;
    }

    /// <summary>The torchvision layout as torch.onnx exports it; input "input", output "logits".</summary>
    public static ModelProto Torchvision(int seed, int size = 224, double width = 1.0)
    {
        var b = new Builder(seed, opset: 13);
        int c1 = Scale(64, width), c2 = Scale(192, width), c3 = Scale(384, width), c4 = Scale(256, width), c5 = Scale(256, width), f = Scale(4096, width);
        b.Input("input", 3, size);
        b.Conv("/features/features.0/Conv_output_0", "input", "features.0", 3, c1, 11, stride: 4, pad: 2, group: 1);
        b.Node("Relu", "/features/features.1/Relu", ["/features/features.0/Conv_output_0"], "/features/features.1/Relu_output_0");
        b.Node("MaxPool", "/features/features.2/MaxPool", ["/features/features.1/Relu_output_0"], "/features/features.2/MaxPool_output_0", Ints("kernel_shape", 3, 3), Ints("strides", 2, 2));
        b.Conv("/features/features.3/Conv_output_0", "/features/features.2/MaxPool_output_0", "features.3", c1, c2, 5, stride: 1, pad: 2, group: 1);
        b.Node("Relu", "/features/features.4/Relu", ["/features/features.3/Conv_output_0"], "/features/features.4/Relu_output_0");
        b.Node("MaxPool", "/features/features.5/MaxPool", ["/features/features.4/Relu_output_0"], "/features/features.5/MaxPool_output_0", Ints("kernel_shape", 3, 3), Ints("strides", 2, 2));
        b.Conv("/features/features.6/Conv_output_0", "/features/features.5/MaxPool_output_0", "features.6", c2, c3, 3, stride: 1, pad: 1, group: 1);
        b.Node("Relu", "/features/features.7/Relu", ["/features/features.6/Conv_output_0"], "/features/features.7/Relu_output_0");
        b.Conv("/features/features.8/Conv_output_0", "/features/features.7/Relu_output_0", "features.8", c3, c4, 3, stride: 1, pad: 1, group: 1);
        b.Node("Relu", "/features/features.9/Relu", ["/features/features.8/Conv_output_0"], "/features/features.9/Relu_output_0");
        b.Conv("/features/features.10/Conv_output_0", "/features/features.9/Relu_output_0", "features.10", c4, c5, 3, stride: 1, pad: 1, group: 1);
        b.Node("Relu", "/features/features.11/Relu", ["/features/features.10/Conv_output_0"], "/features/features.11/Relu_output_0");
        b.Node("MaxPool", "/features/features.12/MaxPool", ["/features/features.11/Relu_output_0"], "/features/features.12/MaxPool_output_0", Ints("kernel_shape", 3, 3), Ints("strides", 2, 2));
        b.Node("AveragePool", "/avgpool/AveragePool", ["/features/features.12/MaxPool_output_0"], "/avgpool/AveragePool_output_0", Ints("kernel_shape", 1, 1), Ints("strides", 1, 1));
        b.Node("Flatten", "/Flatten", ["/avgpool/AveragePool_output_0"], "/Flatten_output_0", Int("axis", 1));
        b.Node("Dropout", "/classifier/classifier.0/Dropout", ["/Flatten_output_0"], "/classifier/classifier.0/Dropout_output_0");
        var s1 = ((size + 4 - 11) / 4) + 1;
        var s5 = ((((((s1 - 3) / 2) + 1) - 3) / 2) + 1 - 3) / 2 + 1;
        b.Gemm("/classifier/classifier.1/Gemm_output_0", "/classifier/classifier.0/Dropout_output_0", "classifier.1", c5 * s5 * s5, f);
        b.Node("Relu", "/classifier/classifier.2/Relu", ["/classifier/classifier.1/Gemm_output_0"], "/classifier/classifier.2/Relu_output_0");
        b.Node("Dropout", "/classifier/classifier.3/Dropout", ["/classifier/classifier.2/Relu_output_0"], "/classifier/classifier.3/Dropout_output_0");
        b.Gemm("/classifier/classifier.4/Gemm_output_0", "/classifier/classifier.3/Dropout_output_0", "classifier.4", f, f);
        b.Node("Relu", "/classifier/classifier.5/Relu", ["/classifier/classifier.4/Gemm_output_0"], "/classifier/classifier.5/Relu_output_0");
        b.Gemm("logits", "/classifier/classifier.5/Relu_output_0", "classifier.6", f, 1000);
        b.Output("logits");
        return b.Model;
    }

    /// <summary>Writes a model to a file (through a temporary file and a rename).</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">Where.</param>
    /// <returns>The path.</returns>
    public static string Save(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        IO.AtomicFile.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    private static int Scale(int channels, double width) => Math.Max(2, (int)Math.Round(channels * width / 2) * 2);

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private sealed class Builder
    {
        private readonly Random _random;

        public Builder(int seed, int opset)
        {
            _random = new Random(seed);
            Model = new ModelProto { IrVersion = 7, ProducerName = "convlive-seeded", Graph = new GraphProto { Name = "alexnet" } };
            Model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = opset });
        }

        public ModelProto Model { get; }

        public void Input(string name, int channels, int size) => Model.Graph.Input.Add(Value(name, 1, channels, size, size));

        public void Output(string name) => Model.Graph.Output.Add(Value(name));

        public void Node(string op, string name, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = name };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            node.Attribute.AddRange(attributes);
            Model.Graph.Node.Add(node);
        }

        public void Conv(string output, string input, string prefix, int cin, int cout, int k, int stride, int pad, int group)
        {
            var fanIn = cin / group * k * k;
            FloatInitializer(prefix + "_w_0", [cout, cin / group, k, k], Math.Sqrt(6.0 / fanIn));
            FloatInitializer(prefix + "_b_0", [cout], 0.1);
            Node("Conv", output, [input, prefix + "_w_0", prefix + "_b_0"], output,
                Ints("kernel_shape", k, k), Ints("strides", stride, stride), Ints("pads", pad, pad, pad, pad), Int("group", group), Ints("dilations", 1, 1));
        }

        public void Gemm(string output, string input, string prefix, int inputs, int outputs)
        {
            FloatInitializer(prefix + "_w_0", [outputs, inputs], Math.Sqrt(6.0 / inputs));
            FloatInitializer(prefix + "_b_0", [outputs], 0.1);
            Node("Gemm", output, [input, prefix + "_w_0", prefix + "_b_0"], output, Float("alpha", 1f), Float("beta", 1f), Int("transB", 1));
        }

        public void Int64Initializer(string name, long[] values)
        {
            var t = new TensorProto { Name = name, DataType = 7 };
            t.Dims.Add(values.Length);
            t.Int64Data.AddRange(values);
            Model.Graph.Initializer.Add(t);
        }

        private void FloatInitializer(string name, int[] dims, double limit)
        {
            var count = dims.Aggregate(1, (a, b) => a * b);
            var values = new float[count];
            for (var i = 0; i < count; i++)
            {
                values[i] = (float)(((_random.NextDouble() * 2) - 1) * limit);
            }

            var t = new TensorProto { Name = name, DataType = 1, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())) };
            t.Dims.AddRange(dims.Select(d => (long)d));
            Model.Graph.Initializer.Add(t);
        }

        private static ValueInfoProto Value(string name, params long[] dims)
        {
            var tensor = new TypeProto.Types.Tensor { ElemType = 1 };
            if (dims.Length > 0)
            {
                tensor.Shape = new TensorShapeProto();
                tensor.Shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
            }

            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
        }
    }
}
