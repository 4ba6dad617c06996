// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Tensors;
using Onnx;

namespace ConvLive.Engine.Onnx;

/// <summary>Converts ONNX TensorProtos to <see cref="HostValue"/>s, checking sizes before allocating.</summary>
public static class OnnxTensors
{
    private const int Float = 1;
    private const int Int32 = 6;
    private const int Int64 = 7;
    private const int Bool = 9;

    /// <summary>Reads a serialized TensorProto file (the ONNX test data's input_N.pb / output_N.pb).</summary>
    /// <param name="path">The .pb file.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ModelException">Unreadable, or of an unsupported type.</exception>
    public static HostValue ReadFile(string path)
    {
        TensorProto proto;
        try
        {
            using var stream = File.OpenRead(path);
            proto = TensorProto.Parser.ParseFrom(stream);
        }
        catch (Exception e) when (e is IOException or Google.Protobuf.InvalidProtocolBufferException)
        {
            throw new ModelException($"{path}: not a readable TensorProto ({e.Message})", e);
        }

        return ToHostValue(proto, path);
    }

    /// <summary>Converts one TensorProto.</summary>
    /// <param name="proto">The tensor.</param>
    /// <param name="where">File or node, for messages.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ModelException">Inconsistent sizes or an unsupported element type.</exception>
    public static HostValue ToHostValue(TensorProto proto, string where)
    {
        ArgumentNullException.ThrowIfNull(proto);
        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new UnsupportedModelException($"{where}: tensor '{proto.Name}' keeps its data in an external file; re-export the model with the weights inside");
        }

        TensorShape shape;
        try
        {
            shape = TensorShape.FromLongs(proto.Dims);
        }
        catch (ArgumentException e)
        {
            throw new ModelException($"{where}: tensor '{proto.Name}' has an impossible shape: {e.Message}", e);
        }

        var raw = proto.RawData.Span;
        switch (proto.DataType)
        {
            case Float:
            {
                CheckCount(where, proto, shape, raw.Length > 0 ? raw.Length / 4 : proto.FloatData.Count, raw.Length % 4);
                var values = new float[shape.Length];
                if (raw.Length > 0)
                {
                    MemoryMarshal.Cast<byte, float>(raw).CopyTo(values);
                    if (!BitConverter.IsLittleEndian)
                    {
                        throw new UnsupportedModelException("big-endian hosts are not supported");
                    }
                }
                else
                {
                    proto.FloatData.CopyTo(values, 0);
                }

                return HostValue.Of(shape, values);
            }

            case Int64 or Int32:
            {
                var size = proto.DataType == Int64 ? 8 : 4;
                var listed = proto.DataType == Int64 ? proto.Int64Data.Count : proto.Int32Data.Count;
                CheckCount(where, proto, shape, raw.Length > 0 ? raw.Length / size : listed, raw.Length % size);
                var values = new long[shape.Length];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = raw.Length > 0
                        ? (size == 8 ? BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]) : BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]))
                        : (size == 8 ? proto.Int64Data[i] : proto.Int32Data[i]);
                }

                return HostValue.Of(shape, values);
            }

            case Bool:
            {
                CheckCount(where, proto, shape, raw.Length > 0 ? raw.Length : proto.Int32Data.Count, 0);
                var values = new bool[shape.Length];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = raw.Length > 0 ? raw[i] != 0 : proto.Int32Data[i] != 0;
                }

                return HostValue.Of(shape, values);
            }

            default:
                throw new UnsupportedModelException($"{where}: tensor '{proto.Name}' has element type {TypeName(proto.DataType)}; the engine computes in float32 (int64/bool only for shapes and masks)");
        }
    }

    /// <summary>The ONNX name of an element type code.</summary>
    /// <param name="code">TensorProto.DataType.</param>
    /// <returns>The name, e.g. FLOAT16.</returns>
    public static string TypeName(int code) => code switch
    {
        1 => "FLOAT", 2 => "UINT8", 3 => "INT8", 4 => "UINT16", 5 => "INT16", 6 => "INT32", 7 => "INT64",
        8 => "STRING", 9 => "BOOL", 10 => "FLOAT16", 11 => "DOUBLE", 12 => "UINT32", 13 => "UINT64", 16 => "BFLOAT16",
        _ => $"type {code}",
    };

    internal static ElementType? ElementTypeOf(int code) => code switch
    {
        Float => ElementType.Float32,
        Int64 or Int32 => ElementType.Int64,
        Bool => ElementType.Bool,
        _ => null,
    };

    private static void CheckCount(string where, TensorProto proto, TensorShape shape, int count, int remainder)
    {
        if (count != shape.Length || remainder != 0)
        {
            throw new ModelException($"{where}: tensor '{proto.Name}' of shape {shape} needs {shape.Length} values but holds {count}{(remainder != 0 ? " and a partial one" : string.Empty)} (truncated file?)");
        }
    }
}
