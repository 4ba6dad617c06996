// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Onnx;
using ConvLive.Tests;
using Google.Protobuf;
using Onnx;
using ConvLive.Engine.Models;

namespace ConvLive.Engine.Tests;

/// <summary>
/// Damaged models through the importer and compiler: truncated, bit-flipped and random files, absurd dims,
/// dangling inputs, cycles, wrong attribute types. Each must end quickly in a <see cref="ModelException"/>
/// (or load: some damage is harmless), never another exception, a hang or an unbounded allocation.
/// </summary>
[Collection(DevicesDefinition.Name)]
public sealed class ImporterFuzzTests(DeviceFixture devices) : IDisposable
{
    /// <summary>Cases per kind of damage in ./test.sh; CONVLIVE_FUZZ_CASES raises it for the full run.</summary>
    private static readonly int CasesPerKind = int.TryParse(Environment.GetEnvironmentVariable("CONVLIVE_FUZZ_CASES"), out var n) ? n : 40;

    /// <summary>First case number; CONVLIVE_FUZZ_FIRST moves the window to explore other cases, reproducibly.</summary>
    private static readonly int FirstCase = int.TryParse(Environment.GetEnvironmentVariable("CONVLIVE_FUZZ_FIRST"), out var f) ? f : 0;

    private readonly TempFolder _folder = new();

    [Theory]
    [InlineData("truncate")]
    [InlineData("bitflip")]
    [InlineData("random")]
    [InlineData("dims")]
    [InlineData("dangling")]
    [InlineData("cycle")]
    [InlineData("attributes")]
    public void DamagedModelsEndInAModelExceptionOrLoad(string damage)
    {
        var good = SeededAlexNet.Zoo(seed: 4, size: 67, width: 0.0625).ToByteArray();
        using var backend = Backend.Create(devices.Get(DeviceKind.Cpu, out _)!);
        var failures = new List<string>();
        for (var i = FirstCase; i < FirstCase + CasesPerKind; i++)
        {
            // A stable seed (string.GetHashCode is randomised per process): every run tries the same cases.
            var random = new Random((StableHash(damage) * 31) + i);
            var bytes = Damage(damage, good, random);
            var path = _folder.File($"{damage}-{i}.onnx");
            File.WriteAllBytes(path, bytes);
            var watch = Stopwatch.StartNew();
            try
            {
                var graph = OnnxLoader.Load(path);
                _ = ModelInspector.Inspect(graph, inputSize: 67);
                using var model = CompiledModel.Compile(graph, backend);
            }
            catch (ModelException e)
            {
                if (e.Message.Contains('\n', StringComparison.Ordinal) || !e.Message.Contains(path, StringComparison.Ordinal))
                {
                    failures.Add($"{damage} #{i}: the message is not one line naming the file: {e.Message}");
                }
            }
            catch (Exception e)
            {
                failures.Add($"{damage} #{i}: {e.GetType().Name}: {e.Message}");
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(5))
            {
                failures.Add($"{damage} #{i}: took {watch.Elapsed.TotalSeconds:0.0} s");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
    }

    [Fact]
    public void ControlCharactersInNamesAreEscapedInTheMessage()
    {
        // Found by the bit-flip fuzzer: an op type with a newline in it made a two-line message.
        var model = SeededAlexNet.Zoo(seed: 4, size: 67, width: 0.0625);
        model.Graph.Node[1].OpType = "LRN\nsize\u0007";
        model.Graph.Node[1].Name = "norm\r1";
        var path = _folder.File("control.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        using var backend = Backend.Create(devices.Get(DeviceKind.Cpu, out _)!);

        var e = Assert.ThrowsAny<ModelException>(() =>
        {
            using var compiled = CompiledModel.Compile(OnnxLoader.Load(path), backend);
        });

        Assert.DoesNotContain(e.Message, char.IsControl);
        Assert.Contains("LRN\\u000Asize\\u0007", e.Message, StringComparison.Ordinal);
        Assert.Contains("norm\\u000D1", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();

    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }

    private static byte[] Damage(string damage, byte[] good, Random random)
    {
        switch (damage)
        {
            case "truncate":
                return good[..random.Next(1, good.Length)];
            case "bitflip":
                var flipped = (byte[])good.Clone();
                for (var k = 0; k < 1 + random.Next(8); k++)
                {
                    flipped[random.Next(Math.Min(flipped.Length, 4096))] ^= (byte)(1 << random.Next(8));
                }

                return flipped;
            case "random":
                var noise = new byte[random.Next(1, 5000)];
                random.NextBytes(noise);
                return noise;
        }

        var model = ModelProto.Parser.ParseFrom(good);
        var nodes = model.Graph.Node;
        switch (damage)
        {
            case "dims":
                var dims = model.Graph.Initializer[random.Next(model.Graph.Initializer.Count)].Dims;
                dims[random.Next(dims.Count)] = random.Next(3) switch { 0 => -7, 1 => long.MaxValue / 3, _ => 1L << 40 };
                break;
            case "dangling":
                var node = nodes[random.Next(nodes.Count)];
                node.Input[random.Next(node.Input.Count)] = "nowhere_" + random.Next(100);
                break;
            case "cycle":
                var a = random.Next(nodes.Count);
                var b = random.Next(a, nodes.Count);
                nodes[a].Input[0] = nodes[b].Output[0];
                break;
            default:
                var target = nodes[random.Next(nodes.Count)];
                if (target.Attribute.Count > 0)
                {
                    var attribute = target.Attribute[random.Next(target.Attribute.Count)];
                    attribute.Type = (AttributeProto.Types.AttributeType)random.Next(1, 12);
                    attribute.Ints.Clear();
                    attribute.Ints.Add(random.Next(3) == 0 ? 0 : -random.Next(1, 100000));
                    attribute.I = random.Next(3) == 0 ? 0 : -random.Next(100000);
                }

                break;
        }

        return model.ToByteArray();
    }
}
