// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Capture;
using ConvLive.Engine.IO;
using ConvLive.Tests;

namespace ConvLive.App.Tests;

/// <summary>The one PNG path: written atomically, read back by Capture's decoder pixel for pixel.</summary>
public sealed class PicturesTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void ABgrPictureWrittenAsPngDecodesToTheSameBytesAndLeavesNoTemporaryFile()
    {
        var bgr = new byte[7 * 5 * 3];
        for (var i = 0; i < bgr.Length; i++)
        {
            bgr[i] = (byte)((i * 37) % 251);
        }

        var path = _folder.File("sub/sample.png");
        Pictures.WriteBgrPng(path, bgr, 7, 5);

        Assert.Equal(bgr, ImageFile.DecodeBgr(path, out var w, out var h));
        Assert.Equal((7, 5), (w, h));
        Assert.DoesNotContain(Directory.GetFiles(Path.GetDirectoryName(path)!), AtomicFile.IsTemporary);
    }

    [Fact]
    public void AGreyMapSpansBlackToWhite()
    {
        var path = _folder.File("map.png");
        Pictures.WriteGreyPng(path, [-2f, 0f, 2f, 6f], 2, 2);
        Assert.Equal([0, 64, 128, 255], ImageFile.DecodeGrey(path, out _, out _));
    }

    public void Dispose() => _folder.Dispose();
}
