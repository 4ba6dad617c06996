// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using System.Text;
using ConvLive.Engine.Explain;
using ConvLive.Engine.IO;
using ConvLive.Engine.Live;

namespace ConvLive.App.Live;

/// <summary>
/// The top-9 trackers of the layers visited: the selected layer's is fed every inferred frame; the others keep what
/// they gathered while selected. Each takes a quarter of the budget for its crops (crops shrink for wide layers), and
/// the least recently selected are dropped beyond the budget, so memory is bounded whatever the run's length.
/// Inference thread only.
/// </summary>
internal sealed class TopNineBook(long budgetBytes)
{
    private readonly Dictionary<string, TopActivations> _trackers = new(StringComparer.Ordinal);
    private readonly List<string> _recent = []; // least recently selected first

    /// <summary>Bytes the trackers hold together.</summary>
    public long Bytes { get; private set; }

    /// <summary>The tracker of the last layer tracked, or null.</summary>
    public TopActivations? Current { get; private set; }

    /// <summary>The value the current tracker follows.</summary>
    public string CurrentLayer { get; private set; } = string.Empty;

    /// <summary>Offers the frame the model last ran on to <paramref name="layer"/>'s tracker (made on first use).</summary>
    public void Track(LiveModel model, string layer, long frame, ReadOnlySpan<byte> bgr, int width, int height)
    {
        if (layer != CurrentLayer)
        {
            Current = Open(model, layer);
            CurrentLayer = layer;
        }

        model.Track(Current!, layer, frame, bgr, width, height);
    }

    /// <summary>Forgets the current layer's entries.</summary>
    public void ResetCurrent() => Current?.Reset();

    /// <summary>Drops every tracker (the model changed shape).</summary>
    public void Clear()
    {
        _trackers.Clear();
        _recent.Clear();
        (Current, CurrentLayer, Bytes) = (null, string.Empty, 0);
    }

    /// <summary>Copies the current layer's entries for <see cref="TopNineSnapshot.Write"/> (allocates; on a key, not per frame).</summary>
    public TopNineSnapshot? Snapshot()
    {
        if (Current is not { } t)
        {
            return null;
        }

        var cell = t.CropSide;
        var grids = new byte[t.Channels][];
        var rows = new StringBuilder("channel,rank,activation,frame,x,y\n");
        for (var c = 0; c < t.Channels; c++)
        {
            grids[c] = new byte[t.GridSide(cell) * t.GridSide(cell) * 4];
            t.DrawGrid(c, cell, grids[c]);
            for (var r = 0; r < t.Count(c); r++)
            {
                var e = t.Entry(c, r);
                rows.Append(CultureInfo.InvariantCulture, $"{c},{r},{e.Value:R},{e.Frame},{e.X},{e.Y}\n");
            }
        }

        return new TopNineSnapshot(CurrentLayer, grids, t.GridSide(cell), rows.ToString(), t.Filled, t.Frames);
    }

    private TopActivations Open(LiveModel model, string layer)
    {
        _recent.Remove(layer);
        _recent.Add(layer);
        if (_trackers.TryGetValue(layer, out var known))
        {
            return known;
        }

        var tracker = model.CreateTopActivations(layer, budgetBytes / 4);
        _trackers[layer] = tracker;
        Bytes += tracker.Bytes;
        while (Bytes > budgetBytes && _recent.Count > 1)
        {
            var oldest = _recent[0];
            _recent.RemoveAt(0);
            Bytes -= _trackers[oldest].Bytes;
            _trackers.Remove(oldest);
        }

        return tracker;
    }
}

/// <summary>A layer's top-9 copied for writing: one grid a channel and the entries as CSV.</summary>
internal sealed record TopNineSnapshot(string Layer, byte[][] Grids, int GridSide, string Csv, int Filled, long Frames)
{
    /// <summary>Writes <c>channel-NNN.png</c> per channel and <c>top9.csv</c> into <paramref name="folder"/>, through
    /// a temporary folder renamed at the end, so a crash leaves no half-written set under the final name.</summary>
    public void Write(string folder)
    {
        var partial = folder + AtomicFile.TempMarker + Environment.ProcessId; // swept at the next start if this dies
        if (Directory.Exists(partial))
        {
            Directory.Delete(partial, recursive: true);
        }

        Directory.CreateDirectory(partial);
        for (var c = 0; c < Grids.Length; c++)
        {
            Pictures.WritePng(Path.Combine(partial, string.Create(CultureInfo.InvariantCulture, $"channel-{c:000}.png")), Grids[c], GridSide, GridSide);
        }

        AtomicFile.Write(Path.Combine(partial, "top9.csv"), s => s.Write(Encoding.UTF8.GetBytes(Csv)));
        Directory.Move(partial, folder);
    }
}
