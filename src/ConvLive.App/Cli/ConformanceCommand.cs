// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Conformance;
using ConvLive.Engine.Devices;

namespace ConvLive.App.Cli;

/// <summary><c>convlive conformance</c>: the ONNX backend node tests on one device.</summary>
internal static class ConformanceCommand
{
    public static Command Create()
    {
        var device = CommonOptions.Device();
        var suites = new Option<string[]>("--suite")
        {
            Description = "A folder of ONNX backend tests (test_*/model.onnx); repeatable. Default: libonnx-testdata's node and pytorch-converted suites.",
            AllowMultipleArgumentsPerToken = false,
        };
        var filter = new Option<string?>("--filter") { Description = "Run only tests whose name contains this text." };
        var command = new Command("conformance", "Run the ONNX backend node tests on a device; one line per test, then 'N passed, M failed, K skipped'.")
        {
            device, suites, filter,
        };
        command.SetAction(result => Run(CommonOptions.ParseDevice(result.GetValue(device)!), result.GetValue(suites), result.GetValue(filter)));
        return command;
    }

    private static int Run(DeviceKind kind, string[]? suites, string? filter)
    {
        var folders = suites is { Length: > 0 } ? suites : ConformanceRunner.DefaultSuites;
        var missing = folders.Where(f => !Directory.Exists(f)).ToList();
        if (missing.Count > 0)
        {
            Console.Error.WriteLine($"error: no test suite at {string.Join(", ", missing)}. {(OperatingSystem.IsWindows() ? "Pass --suite DIR: the node tests of ONNX's backend test data (onnx/backend/test/data/node in the onnx repository or its Python package)." : "Install Debian's libonnx-testdata (./test.sh does) or pass --suite DIR.")}");
            return 2;
        }

        ComputeDevice device;
        try
        {
            device = ComputeDevice.Open(kind, null, CommonOptions.ComputeFromEnvironment().Threads);
        }
        catch (DeviceUnavailableException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        using (device)
        using (var backend = Backend.Create(device, CommonOptions.ComputeFromEnvironment(), line => Console.Error.WriteLine($"note: {line}")))
        {
            Console.WriteLine($"device: {backend.Name}");
            var tests = folders.SelectMany(ConformanceRunner.Tests)
                .Where(t => filter is null || Path.GetFileName(t).Contains(filter, StringComparison.Ordinal)).ToList();

            // On a terminal a bar while the cases run and a table of those that did not pass; in logs a line a case.
            var interactive = ConsoleProgress.Interactive;
            var results = ConsoleProgress.Run("conformance", tests.Count, report => tests.Select((test, i) =>
            {
                var r = ConformanceRunner.Run(test, backend);
                if (!interactive)
                {
                    Console.WriteLine(r.Outcome == Outcome.Passed ? $"PASS {r.Name}" : $"{(r.Outcome == Outcome.Failed ? "FAIL" : "SKIP")} {r.Name}: {r.Detail}");
                }

                report(i + 1, r.Name);
                return r;
            }).ToList());
            int passed = results.Count(r => r.Outcome == Outcome.Passed), failed = results.Count(r => r.Outcome == Outcome.Failed);
            var skipped = results.Count - passed - failed;
            if (interactive && passed < results.Count)
            {
                ConsoleProgress.Table(
                    "cases that did not pass",
                    ["case", "outcome", "why"],
                    results.Where(r => r.Outcome != Outcome.Passed).OrderBy(r => r.Outcome == Outcome.Failed ? 0 : 1)
                        .Select(r => (IReadOnlyList<string>)[r.Name, r.Outcome == Outcome.Failed ? "FAIL" : "SKIP", r.Detail ?? string.Empty]).ToList());
            }

            Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
            return failed == 0 ? 0 : 1;
        }
    }
}
