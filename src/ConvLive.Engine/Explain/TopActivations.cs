// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Numerics.Tensors;

namespace ConvLive.Engine.Explain;

/// <summary>Where the network input lies in a frame: the square the preprocessing crops (frame pixels) and the
/// input's side. Input pixel i's centre is at frame coordinate <c>Crop + (i + 0.5)·CropSide/InputSize − 0.5</c>,
/// as <see cref="Ops.PreprocessParams"/> samples.</summary>
/// <param name="CropX">Left of the crop, frame pixels.</param>
/// <param name="CropY">Top of the crop, frame pixels.</param>
/// <param name="CropSide">Side of the crop, frame pixels.</param>
/// <param name="InputSize">Side of the network input, pixels.</param>
public readonly record struct InputGeometry(float CropX, float CropY, float CropSide, int InputSize);

/// <summary>One of a channel's highest activations: its value, the frame it came from, and where in the map.</summary>
/// <param name="Value">The channel's largest activation in that frame.</param>
/// <param name="Frame">The frame's number, as given to <see cref="TopActivations.Offer"/>.</param>
/// <param name="X">Column of the first maximum in the channel's map (0 for a vector).</param>
/// <param name="Y">Row of the first maximum.</param>
public readonly record struct TopEntry(float Value, long Frame, int X, int Y);

/// <summary>
/// The Deep Visualization Toolbox's top-k images per unit, from a stream instead of a pass over a data set: for
/// each channel of one layer, the <see cref="Keep"/> frames whose largest activation in that channel was highest
/// since the start or the last <see cref="Reset"/> (one entry per frame, as the toolbox takes one per image), each
/// with the frame's pixels under that unit's receptive field at that moment, resampled to a small square crop.
/// Memory is fixed at construction (channels × keep × crop), whatever the run length; nothing is allocated per offer.
/// </summary>
/// <remarks>Ties keep the earlier frame; NaN activations never enter. One thread.</remarks>
public sealed class TopActivations
{
    private readonly float[] _values;
    private readonly long[] _frames;
    private readonly int[] _positions;
    private readonly int[] _count;
    private readonly byte[] _crops;
    private readonly int _field;
    private readonly int _jump;
    private readonly int _start;

    /// <summary>Tracks a layer of <paramref name="channels"/> maps of <paramref name="height"/>×<paramref name="width"/>.</summary>
    /// <param name="channels">Channels of the layer (neurons of a vector).</param>
    /// <param name="height">Map height (1 for a vector).</param>
    /// <param name="width">Map width (1 for a vector).</param>
    /// <param name="receptiveField">Input pixels one map pixel sees along each axis, 0 for the whole input (a vector,
    /// a global pool).</param>
    /// <param name="jump">Input pixels between neighbouring map pixels.</param>
    /// <param name="start">Input coordinate of the first map pixel's field (negative into padding).</param>
    /// <param name="cropSide">Side of the stored crops, pixels.</param>
    /// <param name="keep">Entries per channel (9 for the toolbox's 3×3 grid).</param>
    public TopActivations(int channels, int height, int width, int receptiveField, int jump, int start, int cropSide, int keep = 9)
    {
        if (channels < 1 || height < 1 || width < 1 || cropSide < 1 || keep < 1 || receptiveField < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(channels), $"a top-{keep} of {channels} channels of {height}x{width} with {cropSide}-pixel crops is not a layer to track");
        }

        (Channels, Height, Width, CropSide, Keep) = (channels, height, width, cropSide, keep);
        (_field, _jump, _start) = (receptiveField, jump, start);
        _values = new float[channels * keep];
        _frames = new long[channels * keep];
        _positions = new int[channels * keep];
        _count = new int[channels];
        var bytes = (long)channels * keep * cropSide * cropSide * 3;
        if (bytes > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(cropSide), $"{channels} channels x {keep} crops of {cropSide}x{cropSide} do not fit one array; use smaller crops");
        }

        _crops = new byte[bytes];
    }

    /// <summary>Channels tracked.</summary>
    public int Channels { get; }

    /// <summary>Map height.</summary>
    public int Height { get; }

    /// <summary>Map width.</summary>
    public int Width { get; }

    /// <summary>Side of each stored crop, pixels (RGB, row-major).</summary>
    public int CropSide { get; }

    /// <summary>Entries kept per channel.</summary>
    public int Keep { get; }

    /// <summary>Frames offered since the start or the last reset.</summary>
    public long Frames { get; private set; }

    /// <summary>Entries held, over all channels (at most Channels·Keep).</summary>
    public int Filled { get; private set; }

    /// <summary>Bytes the tracker holds (fixed at construction).</summary>
    public long Bytes => _crops.Length + (_values.Length * (4L + 8 + 4)) + (_count.Length * 4L);

    /// <summary>Entries channel <paramref name="channel"/> holds, highest first.</summary>
    /// <param name="channel">The channel.</param>
    /// <returns>0..Keep.</returns>
    public int Count(int channel) => _count[channel];

    /// <summary>A channel's entry of rank <paramref name="rank"/> (0 the highest).</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="rank">Below <see cref="Count"/>.</param>
    /// <returns>The entry.</returns>
    public TopEntry Entry(int channel, int rank)
    {
        CheckRank(channel, rank);
        var i = (channel * Keep) + rank;
        return new TopEntry(_values[i], _frames[i], _positions[i] % Width, _positions[i] / Width);
    }

    /// <summary>The entry's crop: CropSide² RGB pixels, row-major.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="rank">Below <see cref="Count"/>.</param>
    /// <returns>A view of the stored bytes, valid until the next offer or reset.</returns>
    public ReadOnlySpan<byte> Crop(int channel, int rank)
    {
        CheckRank(channel, rank);
        return CropSpan((channel * Keep) + rank);
    }

    /// <summary>The network-input pixels map pixel (x, y) sees: [X0, X1] × [Y0, Y1], unclipped (the whole input
    /// for a layer without spatial structure).</summary>
    /// <param name="x">Map column.</param>
    /// <param name="y">Map row.</param>
    /// <param name="inputSize">The network input's side.</param>
    /// <returns>Inclusive bounds in input pixels.</returns>
    public (int X0, int Y0, int X1, int Y1) FieldOf(int x, int y, int inputSize) =>
        _field == 0 ? (0, 0, inputSize - 1, inputSize - 1)
            : (_start + (x * _jump), _start + (y * _jump), _start + (x * _jump) + _field - 1, _start + (y * _jump) + _field - 1);

    /// <summary>Forgets every entry (the reset key).</summary>
    public void Reset()
    {
        Array.Clear(_count);
        Frames = 0;
        Filled = 0;
    }

    /// <summary>Offers one frame: each channel's largest activation in <paramref name="maps"/> enters that channel's
    /// list when it beats the lowest entry (or the list is not full), with the crop of <paramref name="bgr"/> under
    /// the maximum's receptive field.</summary>
    /// <param name="maps">The layer for this frame, Channels·Height·Width values (batch item 0).</param>
    /// <param name="frame">The frame's number (kept with each entry).</param>
    /// <param name="bgr">The frame, packed BGR.</param>
    /// <param name="frameWidth">Frame width.</param>
    /// <param name="frameHeight">Frame height.</param>
    /// <param name="geometry">Where the network input lies in the frame.</param>
    /// <returns>How many channels took an entry from this frame.</returns>
    public int Offer(ReadOnlySpan<float> maps, long frame, ReadOnlySpan<byte> bgr, int frameWidth, int frameHeight, InputGeometry geometry)
    {
        var plane = Height * Width;
        if (maps.Length < Channels * plane)
        {
            throw new ArgumentException($"the layer has {Channels}x{Height}x{Width} values, got {maps.Length}", nameof(maps));
        }

        if (bgr.Length < frameWidth * frameHeight * 3)
        {
            throw new ArgumentException($"{bgr.Length} bytes is not a {frameWidth}x{frameHeight} BGR frame", nameof(bgr));
        }

        Frames++;
        var entered = 0;
        for (var c = 0; c < Channels; c++)
        {
            var map = maps.Slice(c * plane, plane);
            var best = FirstMaximum(map);
            var value = best < 0 ? float.NegativeInfinity : map[best];
            if (best < 0 || value == float.NegativeInfinity || !Enters(c, value, out var rank))
            {
                continue; // all NaN (or −∞), or not high enough
            }

            Insert(c, rank, value, frame, best);
            var (x0, y0, x1, y1) = FieldOf(best % Width, best / Width, geometry.InputSize);
            CropInto(CropSpan((c * Keep) + rank), bgr, frameWidth, frameHeight, geometry, x0, y0, x1 - x0 + 1, y1 - y0 + 1);
            entered++;
        }

        return entered;
    }

    /// <summary>Where <paramref name="map"/>'s first greatest value lies, NaNs passed over; −1 when all are NaN. Vectorised
    /// (a scalar scan of ResNet-18's conv1, 800K values, took ~0.8 ms of the inference thread every frame); a NaN
    /// stops that search, and then the scalar one runs. (A +0 after a −0 may be taken where the scan kept the −0.)</summary>
    private static int FirstMaximum(ReadOnlySpan<float> map)
    {
        var best = map.IsEmpty ? -1 : TensorPrimitives.IndexOfMax(map);
        if (best < 0 || !float.IsNaN(map[best]))
        {
            return best;
        }

        best = -1;
        for (var i = 0; i < map.Length; i++)
        {
            if (!float.IsNaN(map[i]) && (best < 0 || map[i] > map[best]))
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>A channel's entries as a square grid (3×3 for nine) of crops scaled to <paramref name="cell"/> pixels,
    /// one dark pixel between cells, empty cells dark grey; RGBA.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="cell">Side of a cell, pixels.</param>
    /// <param name="rgba">GridSide(cell)² × 4 bytes.</param>
    public void DrawGrid(int channel, int cell, Span<byte> rgba)
    {
        var side = GridSide(cell);
        var columns = GridColumns;
        if (rgba.Length < side * side * 4)
        {
            throw new ArgumentException($"a {side}x{side} grid needs {side * side * 4} bytes, got {rgba.Length}", nameof(rgba));
        }

        rgba[..(side * side * 4)].Fill(16);
        for (var i = 3; i < side * side * 4; i += 4)
        {
            rgba[i] = 255;
        }

        for (var rank = 0; rank < columns * columns; rank++)
        {
            int ox = (rank % columns) * (cell + 1), oy = (rank / columns) * (cell + 1);
            var filled = rank < _count[channel];
            var crop = filled ? CropSpan((channel * Keep) + rank) : default;
            for (var y = 0; y < cell; y++)
            {
                var row = rgba.Slice((((oy + y) * side) + ox) * 4, cell * 4);
                var sy = y * CropSide / cell;
                for (var x = 0; x < cell; x++)
                {
                    if (!filled)
                    {
                        row[(x * 4)..((x * 4) + 3)].Fill(40);
                        continue;
                    }

                    var s = ((sy * CropSide) + (x * CropSide / cell)) * 3;
                    (row[x * 4], row[(x * 4) + 1], row[(x * 4) + 2]) = (crop[s], crop[s + 1], crop[s + 2]);
                }
            }
        }
    }

    /// <summary>Cells along each side of the grid: ⌈√Keep⌉.</summary>
    public int GridColumns => (int)Math.Ceiling(Math.Sqrt(Keep));

    /// <summary>The grid's side in pixels for cells of <paramref name="cell"/> pixels.</summary>
    /// <param name="cell">Side of a cell.</param>
    /// <returns>Pixels.</returns>
    public int GridSide(int cell) => (GridColumns * (cell + 1)) - 1;

    private bool Enters(int channel, float value, out int rank)
    {
        var count = _count[channel];
        var o = channel * Keep;
        rank = count;
        while (rank > 0 && value > _values[o + rank - 1])
        {
            rank--; // strictly greater: an equal earlier entry stays ahead
        }

        return rank < Keep;
    }

    private void Insert(int channel, int rank, float value, long frame, int position)
    {
        var o = channel * Keep;
        var count = _count[channel];
        var last = Math.Min(count, Keep - 1); // the slot the shifted tail ends at
        if (last > rank)
        {
            Array.Copy(_values, o + rank, _values, o + rank + 1, last - rank);
            Array.Copy(_frames, o + rank, _frames, o + rank + 1, last - rank);
            Array.Copy(_positions, o + rank, _positions, o + rank + 1, last - rank);
            var crop = CropSide * CropSide * 3;
            _crops.AsSpan((o + rank) * crop, (last - rank) * crop).CopyTo(_crops.AsSpan((o + rank + 1) * crop));
        }

        (_values[o + rank], _frames[o + rank], _positions[o + rank]) = (value, frame, position);
        if (count < Keep)
        {
            _count[channel] = count + 1;
            Filled++;
        }
    }

    private Span<byte> CropSpan(int slot) => _crops.AsSpan(slot * CropSide * CropSide * 3, CropSide * CropSide * 3);

    /// <summary>Samples input pixels [x0, x0+w) × [y0, y0+h) into a CropSide² RGB square, bilinearly from the frame;
    /// outside the input (the padding) is black.</summary>
    private void CropInto(Span<byte> crop, ReadOnlySpan<byte> bgr, int fw, int fh, InputGeometry g, int x0, int y0, int w, int h)
    {
        var step = g.CropSide / g.InputSize;
        for (var v = 0; v < CropSide; v++)
        {
            var iy = y0 + ((v + 0.5f) * h / CropSide) - 0.5f;
            var fy = Math.Clamp(g.CropY + ((iy + 0.5f) * step) - 0.5f, 0f, fh - 1);
            for (var u = 0; u < CropSide; u++)
            {
                var ix = x0 + ((u + 0.5f) * w / CropSide) - 0.5f;
                var o = ((v * CropSide) + u) * 3;
                if (iy < -0.5f || ix < -0.5f || iy > g.InputSize - 0.5f || ix > g.InputSize - 0.5f)
                {
                    crop[o] = crop[o + 1] = crop[o + 2] = 0;
                    continue;
                }

                var fx = Math.Clamp(g.CropX + ((ix + 0.5f) * step) - 0.5f, 0f, fw - 1);
                int xa = (int)fx, ya = (int)fy, xb = Math.Min(xa + 1, fw - 1), yb = Math.Min(ya + 1, fh - 1);
                float ax = fx - xa, ay = fy - ya;
                for (var ch = 0; ch < 3; ch++)
                {
                    float p00 = bgr[(((ya * fw) + xa) * 3) + ch], p01 = bgr[(((ya * fw) + xb) * 3) + ch];
                    float p10 = bgr[(((yb * fw) + xa) * 3) + ch], p11 = bgr[(((yb * fw) + xb) * 3) + ch];
                    var p = ((1 - ay) * (((1 - ax) * p00) + (ax * p01))) + (ay * (((1 - ax) * p10) + (ax * p11)));
                    crop[o + 2 - ch] = (byte)Math.Clamp(MathF.Round(p), 0, 255); // BGR in, RGB out
                }
            }
        }
    }

    private void CheckRank(int channel, int rank)
    {
        if ((uint)channel >= (uint)Channels || (uint)rank >= (uint)_count[channel])
        {
            throw new ArgumentOutOfRangeException(nameof(rank), $"channel {channel} rank {rank}: the tracker has {Channels} channels and this one holds {((uint)channel < (uint)Channels ? _count[channel] : 0)} entries");
        }
    }
}
