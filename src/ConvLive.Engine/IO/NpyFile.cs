// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.IO;

/// <summary>A .npy file that cannot be read; the message names the file and the problem.</summary>
public sealed class NpyException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One line naming the file and what is wrong.</param>
    public NpyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">One line.</param>
    /// <param name="innerException">The cause.</param>
    public NpyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public NpyException()
        : base("not a readable .npy file")
    {
    }
}

/// <summary>
/// NumPy .npy files (format 1.0–3.0): C-order arrays of little-endian float32, float64, int64, int32 or uint8 in,
/// float32 out (written through a temporary file and a rename).
/// </summary>
public static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads an array as float32.</summary>
    /// <param name="path">The .npy file.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="NpyException">Missing, truncated, Fortran-ordered or of an unsupported dtype.</exception>
    public static Tensor Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new NpyException($"{path}: cannot read ({e.Message})", e);
        }

        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new NpyException($"{path}: not a NumPy .npy file (no \\x93NUMPY header); save arrays with numpy.save");
        }

        var major = bytes[6];
        var headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)), int.MaxValue);
        var dataStart = (major == 1 ? 10 : 12) + headerLength;
        if (major is < 1 or > 3 || dataStart > bytes.Length)
        {
            throw new NpyException($"{path}: unsupported .npy version {major} or truncated header");
        }

        var header = Encoding.Latin1.GetString(bytes, major == 1 ? 10 : 12, headerLength);
        var descr = Descr().Match(header);
        var fortran = Fortran().Match(header);
        var shapeMatch = Shape().Match(header);
        if (!descr.Success || !shapeMatch.Success)
        {
            throw new NpyException($"{path}: the .npy header has no dtype or shape: {header.Trim()}");
        }

        if (fortran.Success && fortran.Groups[1].Value == "True")
        {
            throw new NpyException($"{path}: the array is in Fortran order; save it with numpy.ascontiguousarray first");
        }

        var dims = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1).ToArray();
        TensorShape shape;
        try
        {
            shape = TensorShape.FromLongs(dims);
        }
        catch (ArgumentException e)
        {
            throw new NpyException($"{path}: impossible shape ({shapeMatch.Groups[1].Value}): {e.Message}", e);
        }

        var dtype = descr.Groups[1].Value;
        var size = dtype switch { "<f4" => 4, "<f8" => 8, "<i8" => 8, "<i4" => 4, "|u1" or "<u1" => 1, _ => 0 };
        if (size == 0)
        {
            throw new NpyException($"{path}: dtype '{dtype}' is not supported; use float32 (numpy.float32), float64, int32, int64 or uint8");
        }

        var data = bytes.AsSpan(dataStart);
        if (data.Length < (long)shape.Length * size)
        {
            throw new NpyException($"{path}: shape {shape} of {dtype} needs {(long)shape.Length * size:N0} bytes of data, the file has {data.Length:N0} (truncated?)");
        }

        var values = new float[shape.Length];
        switch (dtype)
        {
            case "<f4":
                MemoryMarshal.Cast<byte, float>(data[..(shape.Length * 4)]).CopyTo(values);
                break;
            case "<f8":
                var doubles = MemoryMarshal.Cast<byte, double>(data[..(shape.Length * 8)]);
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = (float)doubles[i];
                }

                break;
            case "<i8":
                var longs = MemoryMarshal.Cast<byte, long>(data[..(shape.Length * 8)]);
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = longs[i];
                }

                break;
            case "<i4":
                var ints = MemoryMarshal.Cast<byte, int>(data[..(shape.Length * 4)]);
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = ints[i];
                }

                break;
            default:
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = data[i];
                }

                break;
        }

        return new Tensor(shape, values);
    }

    /// <summary>Writes a float32 array (format 1.0) through a temporary file and a rename.</summary>
    /// <param name="path">The .npy file to write; its folder is created.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="values">shape.Length values.</param>
    public static void Write(string path, TensorShape shape, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(shape);
        var dims = shape.Rank == 0 ? string.Empty : shape.Rank == 1 ? $"{shape[0]}," : string.Join(", ", shape.Dims.ToArray());
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + ((64 - (total % 64)) % 64)) + "\n";
        var headerBytes = Encoding.Latin1.GetBytes(header);
        var data = MemoryMarshal.AsBytes(values).ToArray();
        AtomicFile.Write(path, file =>
        {
            file.Write(Magic);
            file.Write([1, 0]);
            Span<byte> length = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)headerBytes.Length);
            file.Write(length);
            file.Write(headerBytes);
            file.Write(data);
        });
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex Fortran();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex Shape();
}
