// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Explain;
using ConvLive.Engine.Live;
using ConvLive.Engine.Models;
using ConvLive.Engine.Onnx;
using ConvLive.Tests;

namespace ConvLive.Engine.Tests.Explain;

/// <summary>The top-9 of each unit from a stream: the true nine highest, their crops, bounded memory.</summary>
[Collection(DevicesDefinition.Name)]
public sealed class TopActivationsTests(DeviceFixture devices) : IDisposable
{
    private const int Side = 6;
    private static readonly InputGeometry Identity = new(0, 0, Side, Side);
    private readonly TempFolder _folder = new();

    [Fact]
    public void EachChannelHoldsTheTrueNineHighestFramesWithTheirPositionsAndTiesKeepTheEarlierFrame()
    {
        const int Channels = 4, Frames = 60;
        var tracker = new TopActivations(Channels, Side, Side, receptiveField: 1, jump: 1, start: 0, cropSide: 1);
        var random = new Random(11);
        var seen = new List<(float Value, long Frame, int Position)>[Channels];
        for (var c = 0; c < Channels; c++)
        {
            seen[c] = [];
        }

        var maps = new float[Channels * Side * Side];
        for (var f = 0; f < Frames; f++)
        {
            for (var i = 0; i < maps.Length; i++)
            {
                maps[i] = random.Next(0, 40) * 0.25f; // coarse values: ties within a map and between frames
            }

            maps[(f % Channels) * Side * Side] = f == 7 ? float.NaN : maps[(f % Channels) * Side * Side];
            var pixels = Frame(f);
            tracker.Offer(maps, f, pixels, Side, Side, Identity);
            for (var c = 0; c < Channels; c++)
            {
                var map = maps.AsSpan(c * Side * Side, Side * Side);
                var best = -1;
                for (var i = 0; i < map.Length; i++)
                {
                    best = !float.IsNaN(map[i]) && (best < 0 || map[i] > map[best]) ? i : best; // the first maximum
                }

                seen[c].Add((map[best], f, best));
            }
        }

        for (var c = 0; c < Channels; c++)
        {
            var expected = seen[c].OrderByDescending(e => e.Value).ThenBy(e => e.Frame).Take(9).ToList();
            Assert.Equal(9, tracker.Count(c));
            for (var rank = 0; rank < 9; rank++)
            {
                var entry = tracker.Entry(c, rank);
                Assert.Equal((expected[rank].Value, expected[rank].Frame, expected[rank].Position % Side, expected[rank].Position / Side), (entry.Value, entry.Frame, entry.X, entry.Y));

                // The crop is the frame's pixel under that unit (a 1×1 field), as R, G, B = row, column, frame.
                Assert.Equal(new byte[] { (byte)entry.Y, (byte)entry.X, (byte)entry.Frame }, tracker.Crop(c, rank).ToArray());
            }
        }

        Assert.Equal(Channels * 9, tracker.Filled);
        Assert.Equal(Frames, tracker.Frames);
        tracker.Reset();
        Assert.Equal((0, 0, 0L), (tracker.Count(0), tracker.Filled, tracker.Frames));
    }

    [Fact]
    public void AChannelOfNaNsOrMinusInfinityTakesNoEntryAndANaNAmongValuesIsPassedOver()
    {
        var tracker = new TopActivations(3, Side, Side, receptiveField: 1, jump: 1, start: 0, cropSide: 1);
        var maps = new float[3 * Side * Side];
        maps.AsSpan(0, Side * Side).Fill(float.NaN);
        maps.AsSpan(Side * Side, Side * Side).Fill(float.NegativeInfinity);
        var third = maps.AsSpan(2 * Side * Side, Side * Side);
        third.Fill(1f);
        (third[3], third[20], third[21]) = (float.NaN, 5f, 5f); // a NaN before the maximum, and a tie after it

        Assert.Equal(1, tracker.Offer(maps, 0, Frame(0), Side, Side, Identity));
        Assert.Equal((0, 0, 1), (tracker.Count(0), tracker.Count(1), tracker.Count(2)));
        var entry = tracker.Entry(2, 0);
        Assert.Equal((5f, 20 % Side, 20 / Side), (entry.Value, entry.X, entry.Y));
    }

    [Fact]
    public void ACropIsThePixelsUnderTheReceptiveFieldWithThePaddingBlack()
    {
        // A 3×3 field with stride 2 and padding 1 (start −1) over a 6×6 input: unit (0, 0) sees input −1..1.
        var tracker = new TopActivations(1, 3, 3, receptiveField: 3, jump: 2, start: -1, cropSide: 3);
        var map = new float[9];
        map[0] = 5; // unit (0, 0)
        tracker.Offer(map, 3, Frame(3), Side, Side, Identity);
        map[0] = 0;
        map[4] = 9; // unit (1, 1) sees input 1..3
        tracker.Offer(map, 4, Frame(4), Side, Side, Identity);

        Assert.Equal((1, 1, 9f), (tracker.Entry(0, 0).X, tracker.Entry(0, 0).Y, tracker.Entry(0, 0).Value));
        Assert.Equal(Pixels(4, 1, 1), tracker.Crop(0, 0).ToArray());
        Assert.Equal(Pixels(3, -1, -1), tracker.Crop(0, 1).ToArray());
        Assert.Equal((-1, -1, 1, 1), tracker.FieldOf(0, 0, Side));

        static byte[] Pixels(int frame, int x0, int y0)
        {
            var crop = new byte[27];
            for (var v = 0; v < 3; v++)
            {
                for (var u = 0; u < 3; u++)
                {
                    int x = x0 + u, y = y0 + v, o = ((v * 3) + u) * 3;
                    if (x >= 0 && y >= 0)
                    {
                        (crop[o], crop[o + 1], crop[o + 2]) = ((byte)y, (byte)x, (byte)frame);
                    }
                }
            }

            return crop;
        }
    }

    [Fact]
    public void MemoryIsFixedAndAnOfferAllocatesNothing()
    {
        var tracker = new TopActivations(16, Side, Side, 3, 1, -1, cropSide: 16);
        var bytes = tracker.Bytes;
        var maps = new float[16 * Side * Side];
        var pixels = Frame(0);
        var random = new Random(2);
        void Offers(int from, int to)
        {
            for (var f = from; f < to; f++)
            {
                maps[random.Next(maps.Length)] = f; // rising values: entries keep entering
                tracker.Offer(maps, f, pixels, Side, Side, Identity);
            }
        }

        // Warm-up, then a pause, so the runtime's tiered re-compilation of these loops (which allocates on this
        // thread when it swaps code in) is done before the count: what is counted is the offers' own allocation.
        Offers(0, 500);
        Thread.Sleep(300);
        Offers(500, 600);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Offers(600, 1100);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(bytes, tracker.Bytes);
        Assert.True(tracker.Bytes < (16 * 9 * 16 * 16 * 3) + 4096, $"{tracker.Bytes} bytes");
    }

    [Fact]
    public void TheGridShowsTheCropsInRankOrderAndEmptyCellsGrey()
    {
        var tracker = new TopActivations(1, 1, 1, 0, 0, 0, cropSide: 2);
        var frame = new byte[Side * Side * 3];
        for (var f = 0; f < 2; f++)
        {
            Array.Fill(frame, (byte)(100 + f)); // a flat frame: every crop pixel is 100 + f
            tracker.Offer([f], f, frame, Side, Side, Identity);
        }

        const int Cell = 4;
        var side = tracker.GridSide(Cell);
        Assert.Equal(14, side);
        var rgba = new byte[side * side * 4];
        tracker.DrawGrid(0, Cell, rgba);
        Assert.Equal(101, rgba[0]);                          // rank 0 (frame 1) top left
        Assert.Equal(100, rgba[(Cell + 1) * 4]);             // rank 1 next to it
        Assert.Equal(40, rgba[2 * (Cell + 1) * 4]);          // rank 2 empty
        Assert.Equal(16, rgba[Cell * 4]);                    // the gap
        Assert.Equal(255, rgba[3]);
    }

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("cuda")] // ilgpu-cpu's emulated kernels take ~10 s a frame here: the read-back is the same code
    public void ALiveModelsTrackerMatchesTheLayerReadBackFrameByFrame(string device)
    {
        using var h = BackendHarness.Open(devices, device);
        var graph = OnnxLoader.Load(SeededAlexNet.Save(SeededAlexNet.Zoo(seed: 5, size: 99, width: 0.0625), _folder.File("zoo.onnx")));
        using var live = LiveModel.Open(h.Backend, "alexnet", graph, null, new InputSpec { Size = 99, Resize = 99 }, null);
        const string Layer = "conv2_1";
        var tracker = live.CreateTopActivations(Layer, 1 << 20);
        var fc = live.CreateTopActivations(live.Taps[^1].Name, 1 << 20);
        var shape = live.ShapeOf(Layer);
        int channels = shape[1], plane = shape[2] * shape[3];
        var best = new List<(float Value, long Frame)>[channels];
        for (var c = 0; c < channels; c++)
        {
            best[c] = [];
        }

        var atlas = new byte[live.AtlasWidth * live.AtlasHeight];
        var output = new float[live.OutputLength];
        var values = new float[shape.Length];
        var frame = new byte[160 * 120 * 3];
        for (var f = 0; f < 14; f++)
        {
            for (var i = 0; i < frame.Length; i++)
            {
                frame[i] = (byte)(128 + (120 * Math.Sin((i * (0.001 + (f * 0.0007))) + f)));
            }

            live.Run(frame, 160, 120, atlas, output);
            live.Track(tracker, Layer, f, frame, 160, 120);
            live.Track(fc, live.Taps[^1].Name, f, frame, 160, 120);
            h.Backend.Download(values, live.Tensor(Layer));
            for (var c = 0; c < channels; c++)
            {
                best[c].Add((values.AsSpan(c * plane, plane).ToArray().Max(), f));
            }
        }

        for (var c = 0; c < channels; c++)
        {
            var expected = best[c].OrderByDescending(e => e.Value).ThenBy(e => e.Frame).Take(9).ToList();
            var got = Enumerable.Range(0, tracker.Count(c)).Select(r => tracker.Entry(c, r)).Select(e => (e.Value, e.Frame)).ToList();
            Assert.Equal(expected, got);
        }

        Assert.Equal(live.OutputLength, fc.Channels);
        Assert.Equal((0, 0, 98, 98), fc.FieldOf(0, 0, live.InputSide)); // a fully connected unit sees the whole input
        Assert.Equal(new InputGeometry(20, 0, 120, 99), live.Geometry(160, 120));
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>A 6×6 BGR frame whose pixel (x, y) is B = frame, G = x, R = y.</summary>
    private static byte[] Frame(int frame)
    {
        var bgr = new byte[Side * Side * 3];
        for (var y = 0; y < Side; y++)
        {
            for (var x = 0; x < Side; x++)
            {
                var o = ((y * Side) + x) * 3;
                (bgr[o], bgr[o + 1], bgr[o + 2]) = ((byte)frame, (byte)x, (byte)y);
            }
        }

        return bgr;
    }
}
