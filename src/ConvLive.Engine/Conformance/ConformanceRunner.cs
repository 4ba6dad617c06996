// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Onnx;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Conformance;

/// <summary>How one ONNX backend test ended.</summary>
public enum Outcome
{
    /// <summary>Every output within tolerance.</summary>
    Passed,

    /// <summary>An output differed, or the engine failed on a model it claims to support.</summary>
    Failed,

    /// <summary>The test uses an op, attribute, type or rank the engine does not claim.</summary>
    Skipped,
}

/// <summary>One test's result.</summary>
/// <param name="Name">The test folder's name, e.g. <c>test_conv_with_strides_padding</c>.</param>
/// <param name="Outcome">Passed, failed or skipped.</param>
/// <param name="Detail">Why it failed or was skipped; empty when it passed.</param>
public sealed record ConformanceResult(string Name, Outcome Outcome, string Detail);

/// <summary>
/// Runs the ONNX backend node tests (model.onnx + test_data_set_*/input_*.pb and output_*.pb, as Debian's
/// libonnx-testdata ships them) on a backend and compares every output: |a − b| ≤ atol + rtol·|ref|.
/// </summary>
public static class ConformanceRunner
{
    /// <summary>The suites run when none is named.</summary>
    public static IReadOnlyList<string> DefaultSuites { get; } =
        ["/usr/share/libonnx-testdata/data/node", "/usr/share/libonnx-testdata/data/pytorch-converted"];

    /// <summary>Absolute tolerance (ONNX's runner uses 1e-7; float sums in another order need a little more).</summary>
    public const double Atol = 1e-5;

    /// <summary>Relative tolerance, as ONNX's runner uses.</summary>
    public const double Rtol = 1e-3;

    /// <summary>The test folders of a suite, in name order.</summary>
    /// <param name="suite">A folder of test_* folders.</param>
    /// <returns>Folders that hold a model.onnx.</returns>
    public static IEnumerable<string> Tests(string suite) =>
        Directory.Exists(suite)
            ? Directory.EnumerateDirectories(suite).Where(d => File.Exists(Path.Combine(d, "model.onnx"))).Order(StringComparer.Ordinal)
            : [];

    /// <summary>Runs one test folder.</summary>
    /// <param name="testDir">A folder with model.onnx and test_data_set_* folders.</param>
    /// <param name="backend">The backend under test.</param>
    /// <returns>The result; never throws for a bad test.</returns>
    public static ConformanceResult Run(string testDir, IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(testDir);
        ArgumentNullException.ThrowIfNull(backend);
        var name = Path.GetFileName(testDir);
        try
        {
            var graph = OnnxLoader.Load(Path.Combine(testDir, "model.onnx"));
            var sets = Directory.EnumerateDirectories(testDir, "test_data_set_*").Order(StringComparer.Ordinal).ToList();
            if (sets.Count == 0)
            {
                return new ConformanceResult(name, Outcome.Skipped, "no test_data_set folder");
            }

            foreach (var set in sets)
            {
                var failure = RunSet(graph, set, backend);
                if (failure is not null)
                {
                    return new ConformanceResult(name, Outcome.Failed, $"{Path.GetFileName(set)}: {failure}");
                }
            }

            return new ConformanceResult(name, Outcome.Passed, string.Empty);
        }
        catch (UnsupportedModelException e)
        {
            return new ConformanceResult(name, Outcome.Skipped, Strip(e.Message, testDir));
        }
        catch (Exception e) when (e is ModelException or ArgumentException or InvalidOperationException or IOException)
        {
            return new ConformanceResult(name, Outcome.Failed, $"{e.GetType().Name}: {Strip(e.Message, testDir)}");
        }
    }

    private static string? RunSet(ModelGraph graph, string set, IBackend backend)
    {
        var inputs = Directory.EnumerateFiles(set, "input_*.pb").Order(new NumberedFiles()).Select(OnnxTensors.ReadFile).ToList();
        var expected = Directory.EnumerateFiles(set, "output_*.pb").Order(new NumberedFiles()).Select(OnnxTensors.ReadFile).ToList();
        if (inputs.Count != graph.Inputs.Count)
        {
            throw new ModelException($"{inputs.Count} input files for {graph.Inputs.Count} graph inputs");
        }

        var shapes = new Dictionary<string, TensorShape>(StringComparer.Ordinal);
        var constants = new Dictionary<string, HostValue>(StringComparer.Ordinal);
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Type == ElementType.Float32)
            {
                shapes[graph.Inputs[i].Name] = inputs[i].Shape;
            }
            else
            {
                constants[graph.Inputs[i].Name] = inputs[i];
            }
        }

        using var model = CompiledModel.Compile(graph, backend, shapes, constants);
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Type == ElementType.Float32)
            {
                model.SetInput(graph.Inputs[i].Name, inputs[i].Floats);
            }
        }

        model.Run();
        for (var i = 0; i < expected.Count && i < graph.Outputs.Count; i++)
        {
            var outputName = graph.Outputs[i].Name;
            var want = expected[i];
            var shape = model.ShapeOf(outputName);
            if (!shape.Equals(want.Shape))
            {
                return $"output '{outputName}' has shape {shape}, expected {want.Shape}";
            }

            if (want.Type == ElementType.Bool)
            {
                var got = model.HostValueOf(outputName).Bools;
                if (got is null || !got.AsSpan().SequenceEqual(want.Bools))
                {
                    return $"output '{outputName}' (bool) differs";
                }

                continue;
            }

            if (want.Type != ElementType.Float32)
            {
                throw new UnsupportedModelException($"output '{outputName}' of type {want.Type}");
            }

            var actual = new float[shape.Length];
            model.Read(outputName, actual);
            var report = Tolerance.Compare(want.Floats, actual, Atol, Rtol);
            if (report is not null)
            {
                return $"output '{outputName}' {shape}: {report}";
            }
        }

        return null;
    }

    private static string Strip(string message, string testDir) =>
        message.Replace(Path.Combine(testDir, "model.onnx") + ": ", string.Empty, StringComparison.Ordinal);

    /// <summary>Orders input_2.pb before input_10.pb.</summary>
    private sealed class NumberedFiles : IComparer<string>
    {
        public int Compare(string? x, string? y) => Number(x).CompareTo(Number(y));

        private static int Number(string? path)
        {
            var name = Path.GetFileNameWithoutExtension(path ?? string.Empty);
            var underscore = name.LastIndexOf('_');
            return int.TryParse(name.AsSpan(underscore + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue;
        }
    }
}
