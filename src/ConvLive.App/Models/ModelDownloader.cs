// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using ConvLive.Engine.Models;

namespace ConvLive.App.Models;

/// <summary>Why a download ended without a verified file; the message says what to do.</summary>
internal sealed class DownloadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Downloads a manifest's file into a folder: into FILE.part first (kept after a dropped connection, so the next
/// attempt resumes with an HTTP Range request), then checks size and SHA-256 and renames it into place. A
/// checksum mismatch deletes the partial file.
/// </summary>
internal sealed class ModelDownloader(HttpClient http, TextWriter progress, Action<long, long?>? bytes = null)
{
    public async Task<string> GetAsync(ModelManifest manifest, string folder, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (!manifest.IsDownloadable)
        {
            throw new DownloadException($"{manifest.Name} has no download source ({manifest.Source ?? "none"}); put {manifest.File} in {folder} by hand");
        }

        var target = Path.Combine(folder, manifest.File);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var part = target + ".part";
        var hint = $"download {manifest.Source} by hand and put it at {target}" + (manifest.Sha256 is null ? string.Empty : $" (SHA-256 {manifest.Sha256})");
        var have = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, manifest.Source);
        if (have > 0)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            throw new DownloadException($"cannot reach {new Uri(manifest.Source!).Host} (no internet?): {e.Message}; {hint}", e);
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                have = 0;
                File.Delete(part);
                throw new DownloadException($"the server refused to resume; the partial file was removed, run the command again");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new DownloadException($"{manifest.Source} answered {(int)response.StatusCode} {response.ReasonPhrase}; {hint}");
            }

            var resumed = response.StatusCode == HttpStatusCode.PartialContent;
            if (!resumed)
            {
                have = 0;
            }

            var total = manifest.Bytes ?? (response.Content.Headers.ContentLength + have);
            if (resumed)
            {
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"resuming {manifest.File} at {have / 1e6:0.0} MB"));
            }

            have = await CopyBodyAsync(response, part, resumed, manifest.File, have, total, cancel).ConfigureAwait(false);
        }

        Verify(manifest, part);
        File.Move(part, target, overwrite: true);
        return target;
    }

    /// <summary>Appends (or writes) the response body to <paramref name="part"/>, reporting progress; the part file
    /// stays when the connection drops, so the same command resumes.</summary>
    /// <returns>The bytes now in the part file.</returns>
    private async Task<long> CopyBodyAsync(HttpResponseMessage response, string part, bool resumed, string name, long have, long? total, CancellationToken cancel)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
            await using var file = new FileStream(part, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            var watch = Stopwatch.StartNew();
            var lastReport = TimeSpan.Zero;
            int read;
            while ((read = await body.ReadAsync(buffer, cancel).ConfigureAwait(false)) > 0)
            {
                await file.WriteAsync(buffer.AsMemory(0, read), cancel).ConfigureAwait(false);
                have += read;
                if (watch.Elapsed - lastReport > TimeSpan.FromMilliseconds(250))
                {
                    lastReport = watch.Elapsed;
                    Report(name, have, total, watch.Elapsed);
                }
            }

            Report(name, have, total, watch.Elapsed);
            return have;
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new DownloadException($"the connection dropped at {have / 1e6:0.0} MB; run the same command again to resume ({part} is kept)", e);
        }
    }

    private static void Verify(ModelManifest manifest, string part)
    {
        var length = new FileInfo(part).Length;
        if (manifest.Bytes is { } bytes && length != bytes)
        {
            if (length > bytes)
            {
                File.Delete(part);
            }

            throw new DownloadException(length < bytes
                ? $"the download stopped at {length:N0} of {bytes:N0} bytes; run the same command again to resume"
                : $"the file is {length:N0} bytes, the manifest says {bytes:N0}; the partial file was removed");
        }

        if (manifest.Sha256 is { } expected)
        {
            using var stream = File.OpenRead(part);
            var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                stream.Close();
                File.Delete(part);
                throw new DownloadException($"checksum mismatch: SHA-256 {actual}, expected {expected}; the download was removed, try again or fetch it by hand");
            }
        }
    }

    /// <summary>The bytes so far to the caller's bar when it gave one, else a plain line at most every 5 s (logs).</summary>
    private void Report(string name, long have, long? total, TimeSpan elapsed)
    {
        if (bytes is not null)
        {
            bytes(have, total);
            return;
        }

        if (elapsed - _lastLine < TimeSpan.FromSeconds(5) && (total is null || have < total))
        {
            return;
        }

        _lastLine = elapsed;
        var rate = have / Math.Max(elapsed.TotalSeconds, 1e-3) / 1e6;
        progress.WriteLine(total is > 0
            ? string.Create(CultureInfo.InvariantCulture, $"  {name}: {have / 1e6:0.0}/{total.Value / 1e6:0.0} MB ({100.0 * have / total.Value:0}%), {rate:0.0} MB/s")
            : string.Create(CultureInfo.InvariantCulture, $"  {name}: {have / 1e6:0.0} MB, {rate:0.0} MB/s"));
    }

    private TimeSpan _lastLine = TimeSpan.FromSeconds(-10);
}
