// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Text.Json;
using ConvLive.Engine.Graph;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ConvLive.App.Cli;

/// <summary>
/// ONNX Runtime's own time per node, from its profiler: the peer's column beside ConvLive's per-layer times, so a
/// gap can be traced to the layers it comes from. A session of its own (profiling on), the same threads and
/// options as the timed one; medians of each node's kernel time over the runs.
/// </summary>
internal static class OrtLayerProfile
{
    /// <summary>Median kernel ms per ONNX Runtime node name; empty (with the reason on standard error) when the
    /// profile cannot be taken or read.</summary>
    public static Dictionary<string, double> Medians(string modelPath, GraphValue input, int[] dims, float[] x, int runs)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"convlive-ort-profile-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(folder);
            using var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount, InterOpNumThreads = 1 };
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            options.ProfileOutputPathPrefix = Path.Combine(folder, "ort"); // before enabling: that reads the prefix
            options.EnableProfiling = true;
            using var session = new InferenceSession(modelPath, options);
            var inputs = new[] { NamedOnnxValue.CreateFromTensor(input.Name, new DenseTensor<float>(x, dims)) };
            for (var r = 0; r < runs + 5; r++)
            {
                using var result = session.Run(inputs);
            }

            var file = session.EndProfiling();
            return Read(File.ReadAllText(Path.IsPathRooted(file) ? file : Path.Combine(Environment.CurrentDirectory, file)), skip: 5);
        }
        catch (Exception e) when (e is OnnxRuntimeException or IOException or JsonException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            Console.Error.WriteLine($"onnxruntime per layer: left out ({e.Message.Split('\n')[0]})");
            return [];
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A profile left in the temp folder is harmless.
            }
        }
    }

    /// <summary>
    /// ONNX Runtime's time for a ConvLive node: its node of the same name, else the one that writes one of the same
    /// values (<see cref="ValuesOf"/>). ONNX Runtime renames the nodes it fuses and converts to its blocked layout
    /// after a value they write ("ReLU253_Output_0_nchwc"; a Conv+Add+Relu after the Conv's own normalised output,
    /// "BatchNormalization265_Output_0_nchwc"); where it fused more ops into one node than ConvLive did (with
    /// <c>--fuse off</c>), its time includes them.
    /// </summary>
    public static double? Match(Dictionary<string, double> ort, string node, IReadOnlyList<string> outputs)
    {
        if (ort.TryGetValue(node, out var ms))
        {
            return ms;
        }

        foreach (var value in outputs)
        {
            if (ort.TryGetValue(value, out ms) || ort.TryGetValue(value + "_nchwc", out ms))
            {
                return ms;
            }
        }

        return null;
    }

    /// <summary>The values a ConvLive node writes, and for a fused node the ones it absorbed: in the graph as loaded,
    /// the node of the same name's output followed through single-consumer BatchNormalization, Add and Relu nodes up
    /// to the fused node's own output.</summary>
    /// <param name="original">The graph as loaded (before fusion).</param>
    /// <param name="node">A node of the graph that runs.</param>
    /// <returns>Its outputs, then the absorbed values.</returns>
    public static List<string> ValuesOf(ModelGraph original, Node node)
    {
        var values = new List<string>(node.Outputs);
        if (node.OpType == "Conv" || node.Outputs.Count != 1 || original.Nodes.FirstOrDefault(n => n.Name == node.Name) is not { Outputs.Count: 1 } start)
        {
            return values;
        }

        var value = start.Outputs[0];
        for (var hops = 0; hops < 4 && value != node.Outputs[0]; hops++)
        {
            values.Add(value);
            var readers = original.Nodes.Where(n => n.Inputs.Contains(value)).ToList();
            if (readers is not [{ OpType: "BatchNormalization" or "Add" or "Relu", Outputs.Count: > 0 } next])
            {
                break;
            }

            value = next.Outputs[0];
        }

        return values;
    }

    /// <summary>Medians of each node's "…_kernel_time" events in an ONNX Runtime profile (Chrome trace JSON),
    /// leaving out each node's first <paramref name="skip"/> (the warm-up runs).</summary>
    internal static Dictionary<string, double> Read(string json, int skip)
    {
        const string Suffix = "_kernel_time";
        var times = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(json);
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            if (e.TryGetProperty("cat", out var cat) && cat.GetString() == "Node" && e.TryGetProperty("name", out var name) &&
                name.GetString() is { } n && n.EndsWith(Suffix, StringComparison.Ordinal) && e.TryGetProperty("dur", out var dur))
            {
                var node = n[..^Suffix.Length];
                if (!times.TryGetValue(node, out var list))
                {
                    times[node] = list = [];
                }

                list.Add(dur.GetDouble() / 1000.0);
            }
        }

        return times.Where(t => t.Value.Count > skip).ToDictionary(
            t => t.Key,
            t =>
            {
                var kept = t.Value.Skip(skip).Order().ToArray();
                return kept[kept.Length / 2];
            },
            StringComparer.Ordinal);
    }
}
