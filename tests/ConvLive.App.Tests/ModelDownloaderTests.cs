// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using ConvLive.App.Models;
using ConvLive.Engine.Models;
using ConvLive.Tests;

namespace ConvLive.App.Tests;

/// <summary><c>models get</c> against a real HTTP server on 127.0.0.1: good checksum, bad checksum, a cut connection.</summary>
public sealed class ModelDownloaderTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly byte[] _payload = RandomNumberGenerator.GetBytes(3_000_000);
    private readonly HttpListener _listener = new();
    private readonly Task _server;
    private readonly CancellationTokenSource _stop = new();
    private int _cutAfter = -1;

    public ModelDownloaderTests()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _server = Task.Run(Serve);
    }

    private int Port { get; }

    [Fact]
    public async Task AGoodDownloadIsVerifiedAndRenamedIntoPlace()
    {
        using var http = new HttpClient();
        var path = await new ModelDownloader(http, TextWriter.Null).GetAsync(Manifest(Sha(_payload)), _folder.Path, CancellationToken.None);

        Assert.Equal(_payload, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(path + ".part"));
    }

    [Fact]
    public async Task ABadChecksumLeavesNoFileBehind()
    {
        using var http = new HttpClient();
        var e = await Assert.ThrowsAsync<DownloadException>(() => new ModelDownloader(http, TextWriter.Null).GetAsync(Manifest(new string('0', 64)), _folder.Path, CancellationToken.None));

        Assert.Contains("checksum mismatch", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public async Task ACutConnectionKeepsThePartialFileAndTheNextRunResumes()
    {
        using var http = new HttpClient();
        var downloader = new ModelDownloader(http, TextWriter.Null);
        _cutAfter = 1_000_000;
        var e = await Assert.ThrowsAsync<DownloadException>(() => downloader.GetAsync(Manifest(Sha(_payload)), _folder.Path, CancellationToken.None));
        Assert.Contains("run the same command again", e.Message, StringComparison.Ordinal);
        var part = Path.Combine(_folder.Path, "model.onnx.part");
        Assert.True(File.Exists(part));
        Assert.InRange(new FileInfo(part).Length, 1, _payload.Length - 1);

        _cutAfter = -1;
        var path = await downloader.GetAsync(Manifest(Sha(_payload)), _folder.Path, CancellationToken.None);
        Assert.Equal(_payload, await File.ReadAllBytesAsync(path));
        Assert.True(RangeRequests > 0, "the second attempt did not ask for a range");
    }

    [Fact]
    public async Task NoServerMeansOneLineWithWhereToPutTheFile()
    {
        using var http = new HttpClient();
        var manifest = Manifest(Sha(_payload)) with { Source = $"http://127.0.0.1:{FreePort()}/model.onnx" };
        var e = await Assert.ThrowsAsync<DownloadException>(() => new ModelDownloader(http, TextWriter.Null).GetAsync(manifest, _folder.Path, CancellationToken.None));
        Assert.Contains("by hand and put it at", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        try
        {
            _server.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener was closed under the accept loop.
        }

        _stop.Dispose();
        _folder.Dispose();
    }

    private int RangeRequests { get; set; }

    private static string Sha(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private ModelManifest Manifest(string sha) => new()
    {
        Name = "test",
        File = "model.onnx",
        Source = $"http://127.0.0.1:{Port}/model.onnx",
        Bytes = _payload.Length,
        Sha256 = sha,
    };

    private async Task Serve()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            var start = 0;
            if (context.Request.Headers["Range"] is { } range && range.StartsWith("bytes=", StringComparison.Ordinal))
            {
                RangeRequests++;
                start = int.Parse(range[6..].TrimEnd('-'), System.Globalization.CultureInfo.InvariantCulture);
                context.Response.StatusCode = 206;
                context.Response.Headers["Content-Range"] = $"bytes {start}-{_payload.Length - 1}/{_payload.Length}";
            }

            context.Response.ContentLength64 = _payload.Length - start;
            try
            {
                if (_cutAfter > 0)
                {
                    await context.Response.OutputStream.WriteAsync(_payload.AsMemory(start, _cutAfter));
                    await context.Response.OutputStream.FlushAsync();
                    context.Response.Abort();
                    continue;
                }

                await context.Response.OutputStream.WriteAsync(_payload.AsMemory(start));
                context.Response.Close();
            }
            catch (HttpListenerException)
            {
                // The client went away.
            }
        }
    }
}
