// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Text;
using ConvLive.Engine.IO;
using ConvLive.Engine.Models;
using ConvLive.Engine.Tensors;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.IO;

/// <summary>The readers of files a user hands over or a crash may damage — .npy arrays (infer, explain) and model
/// manifests (HEAD.json beside a trained head) — under a few hundred mutations from a stable seed: each either reads
/// something usable or says in its own exception what is wrong; nothing else ever comes out.</summary>
public sealed class ReaderFuzzTests : IDisposable
{
    private const int Mutations = 300;
    private readonly TempFolder _folder = new();

    [Fact]
    public void MutatedNpyFilesReadWholeOrFailWithNpyException()
    {
        var good = _folder.File("good.npy");
        NpyFile.Write(good, new TensorShape(2, 3, 4), Enumerable.Range(0, 24).Select(i => i * 0.5f).ToArray());
        Fuzz(File.ReadAllBytes(good), "npy", path =>
        {
            try
            {
                var t = NpyFile.Read(path);
                Assert.Equal(t.Shape.Length, t.Data.Length);
                return true;
            }
            catch (NpyException e)
            {
                Assert.Contains(path, e.Message, StringComparison.Ordinal);
                return false;
            }
        });
    }

    [Fact]
    public void MutatedManifestsAreUsableOrFailWithInvalidData()
    {
        var good = Encoding.UTF8.GetBytes("""
            {
              "name": "head", "description": "a trained head", "file": "head.onnx",
              "input": { "name": "image", "layout": "NCHW", "size": 224, "resize": 256, "channels": "RGB",
                         "scale": 0.00392156862745098, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225] },
              "labels": "head.labels.txt", "notSureBelow": 0.62
            }
            """);
        Fuzz(good, "json", path =>
        {
            try
            {
                var m = ModelManifest.Read(path);
                var plane = new float[3 * 4];
                _ = m.Input.Normalise(plane, 2); // what the preprocessing does with it: never an index or a division by zero
                Assert.InRange(m.Input.Size, 1, 4096);
                return true;
            }
            catch (InvalidDataException e)
            {
                Assert.Contains(path, e.Message, StringComparison.Ordinal);
                return false;
            }
        });
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>Truncations, byte flips, inserted and deleted runs, and digits changed (sizes, counts).</summary>
    private void Fuzz(byte[] original, string extension, Func<string, bool> read)
    {
        var random = new Random(20261202);
        var (readWhole, refused) = (0, 0);
        for (var i = 0; i < Mutations; i++)
        {
            var bytes = original.ToList();
            switch (i % 5)
            {
                case 0:
                    bytes = bytes.Take(random.Next(bytes.Count)).ToList();
                    break;
                case 1:
                    for (var k = random.Next(1, 6); k > 0; k--)
                    {
                        bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    }

                    break;
                case 2:
                    bytes.InsertRange(random.Next(bytes.Count), Enumerable.Range(0, random.Next(1, 40)).Select(_ => (byte)random.Next(256)));
                    break;
                case 3:
                    var at = random.Next(bytes.Count);
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 20)));
                    break;
                default:
                    var digits = Enumerable.Range(0, bytes.Count).Where(j => bytes[j] is >= (byte)'0' and <= (byte)'9').ToList();
                    if (digits.Count > 0)
                    {
                        bytes[digits[random.Next(digits.Count)]] = (byte)"0123456789-"[random.Next(11)];
                    }

                    break;
            }

            var path = _folder.File($"mutant-{i}.{extension}");
            File.WriteAllBytes(path, [.. bytes]);
            if (read(path))
            {
                readWhole++;
            }
            else
            {
                refused++;
            }
        }

        Assert.True(readWhole > 0 && refused > 0, $"the mutations did not reach both outcomes: {readWhole} read, {refused} refused");
    }
}
