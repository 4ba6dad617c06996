// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ConvLive.Tests;

namespace ConvLive.Render.Tests;

public sealed class PngAndLayoutTests
{
    [Fact]
    public void APngHoldsValidChunksAndThePixelsWritten()
    {
        var rgba = HeadlessRenderTests.KnownRgba(7, 5);
        using var stream = new MemoryStream();
        PngWriter.Encode(stream, rgba, 7, 5);
        var bytes = stream.ToArray();

        Assert.Equal(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }, bytes[..8]);
        var chunks = new List<string>();
        using var idat = new MemoryStream();
        for (var at = 8; at < bytes.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            var type = bytes.AsSpan(at + 4, 4);
            var data = bytes.AsSpan(at + 8, length);
            Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at + 8 + length)), PngWriter.Crc(type, data));
            chunks.Add(Encoding.ASCII.GetString(type));
            if (chunks[^1] == "IHDR")
            {
                Assert.Equal(7, BinaryPrimitives.ReadInt32BigEndian(data));
                Assert.Equal(5, BinaryPrimitives.ReadInt32BigEndian(data[4..]));
            }
            else if (chunks[^1] == "IDAT")
            {
                idat.Write(data);
            }

            at += 12 + length;
        }

        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks);
        Assert.Equal(0xAE426082u, PngWriter.Crc("IEND"u8, []));
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        var raw = inflated.ToArray();
        for (var y = 0; y < 5; y++)
        {
            Assert.Equal(0, raw[y * 29]);
            Assert.Equal(rgba.AsSpan(y * 28, 28).ToArray(), raw.AsSpan((y * 29) + 1, 28).ToArray());
        }
    }

    [Theory]
    [InlineData(1280, 560)]
    [InlineData(640, 960)]
    [InlineData(300, 200)]
    public void PanelsKeepTheirAspectStayInsideAndDoNotOverlap(int width, int height)
    {
        var panels = PanelLayout.Grid(width, height, 2, 4f / 3f, margin: 12);
        Assert.Equal(2, panels.Length);
        foreach (var p in panels)
        {
            Assert.Equal(4f / 3f, p.Width / p.Height, 3);
            Assert.True(p.X >= 0 && p.Y >= 0 && p.Right <= width && p.Bottom <= height, $"{p} leaves {width}x{height}");
        }

        var (a, b) = (panels[0], panels[1]);
        Assert.True(a.Right <= b.X || a.Bottom <= b.Y, $"{a} overlaps {b}");
    }

    [Fact]
    public void AWideWindowPutsTwoPanelsSideBySideAndATallOneStacksThem()
    {
        var wide = PanelLayout.Grid(1280, 480, 2, 4f / 3f);
        Assert.Equal(wide[0].Y, wide[1].Y);
        var tall = PanelLayout.Grid(480, 1280, 2, 4f / 3f);
        Assert.Equal(tall[0].X, tall[1].X);
    }
}
