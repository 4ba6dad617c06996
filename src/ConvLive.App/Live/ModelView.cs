// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.App.Training;
using ConvLive.Engine.Live;
using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>
/// What a network sees: the camera frame, the input as the network gets it, every tapped layer's channels as
/// thumbnails, the selected layer large with its channel grid, the selected channel zoomed, fully connected
/// layers as bars, the top-5 classes and the rates. One 8-bit atlas texture holds every layer; a colormap
/// lookup texture colours it on the GPU, so switching colormaps costs nothing.
/// </summary>
internal sealed class ModelView : ILiveView
{
    private static readonly Colour Border = new(0.22f, 0.22f, 0.25f);
    private static readonly Colour Text = new(0.88f, 0.88f, 0.88f);
    private static readonly Colour Dim = new(0.6f, 0.6f, 0.65f);
    private static readonly Colour Highlight = new(1f, 0.75f, 0.2f);
    private static readonly Colour Bar = new(0.35f, 0.7f, 1f);

    private readonly Display _display;
    private readonly FontAtlas _font;
    private readonly LiveModel _model;
    private readonly LiveTraining? _training;
    private readonly Dictionary<string, Engine.Graph.LayerInfo> _fields = new(StringComparer.Ordinal);
    private (int Layer, int X, int Y, int X0, int Y0, int X1, int Y1)? _receptive;
    private string _receptiveText = string.Empty;
    private RectF _inputRect;
    private string[]? _labelsShown;
    private readonly PanelTexture _frame;
    private readonly PanelTexture _atlas;
    private readonly PanelTexture[] _luts;
    private readonly string[] _titles;
    private readonly string[] _topText = ["", "", "", "", ""];
    private readonly int[] _topShown = [-2, -2, -2, -2, -2];
    private readonly float[] _topProbShown = new float[5];
    private readonly RectF[] _thumbs;
    private bool _framePending;
    private bool _atlasPending;
    private ModelFrameResult? _last;
    private int _layer;
    private int _channel;
    private int _colormap;
    private bool _help;
    private bool _sidePanels = true;
    private string _selection = string.Empty;
    private (int Layer, int Channel) _selectionFor = (-1, -1);
    private RectF _bigRect;
    private RectF _zoomRect;
    private float _thumbTop;
    private (int W, int H) _layoutFor;

    public ModelView(Display display, FontAtlas font, LiveModel model, LiveTraining? training)
    {
        _training = training;
        _display = display;
        _font = font;
        _model = model;
        _frame = display.CreateTexture(smooth: true);
        _atlas = display.CreateTexture(smooth: false);
        _luts = Colormaps.Names.Select(n => display.CreateLut(Colormaps.Table(n))).ToArray();
        _titles = model.Taps.Select(t => t.Title).ToArray();
        _thumbs = new RectF[model.Taps.Count];
        _layer = Math.Min(1, model.Taps.Count - 1);
        try
        {
            // Receptive fields of every layer, for clicks on a zoomed channel: walked from shapes, once.
            var rows = Engine.Graph.ModelInspector.Inspect(model.Graph, model.Taps[0].Shape[2]);
            for (var i = 0; i < rows.Count; i++)
            {
                _fields[model.Graph.Nodes[i].Outputs[0]] = rows[i];
            }
        }
        catch (Engine.Graph.ModelException)
        {
            // A graph the inspector cannot walk simply has no receptive-field clicks.
        }
    }

    public int TappedLayers => _model.Taps.Count - 1;

    public string ClickInfo => _receptiveText;

    public (string Layer, int Channel, string Colormap)? Selection => (_model.Taps[_layer].Name, _channel, Colormaps.Names[_colormap]);

    public bool TryUpload(FrameResult slot)
    {
        var result = (ModelFrameResult)slot;
        if (!ReferenceEquals(result, _last))
        {
            (_framePending, _atlasPending, _last) = (true, true, result);
        }

        var f = result.Frame;
        if (_framePending)
        {
            _framePending = !_frame.TryUpload(result.BgraPixels, f.Width, f.Height, PixelLayout.Bgra8);
        }

        if (_atlasPending)
        {
            // One byte a texel rather than packed four to an RGBA texel: on llvmpipe the upload costs the same here
            // and every composition draws faster (no byte selection per pixel: 14.9 -> 12.7 ms at 1280x720).
            _atlasPending = !_atlas.TryUpload(result.Atlas.AsSpan(0, _model.AtlasWidth * _model.AtlasHeight), _model.AtlasWidth, _model.AtlasHeight, PixelLayout.Grey8);
        }

        return !_framePending && !_atlasPending;
    }

    public void Draw(FrameResult slot, StatusText status)
    {
        var result = (ModelFrameResult)slot;
        int w = _display.Width, h = _display.Height;
        if ((w, h) != _layoutFor)
        {
            Layout(w, h);
        }

        const float M = 10;
        var line = _font.CellHeight + 2;
        var left = _sidePanels ? w * 0.26f : 0;
        if (_sidePanels)
        {
            var cameraBox = new RectF(M, M + line, left - (2 * M), (h * 0.3f) - line);
            var camera = cameraBox.Fit(Math.Max(result.Frame.Width, 1), Math.Max(result.Frame.Height, 1));
            Frame(camera);
            _display.DrawTexture(_frame, camera);
            _display.DrawText(_font, "camera", camera.X, camera.Y - line, Dim);

            var inputTop = cameraBox.Bottom + M + line;
            var side = Math.Min(left - (2 * M), h * 0.3f);
            var input = new RectF(M, inputTop, side, side);
            _inputRect = input;
            Frame(input);
            var tap = _model.Taps[0];
            var (uv, stepU, stepV) = TileUv(tap, 0);
            _display.DrawChannels(_atlas, input, uv, stepU, stepV, _model.NetworkInputIsBgr);
            _display.DrawText(_font, _titles[0], input.X, input.Y - line, Dim);

            var y = input.Bottom + M;
            if ((result.ClassNames ?? _model.Labels) is { } labels)
            {
                if (!ReferenceEquals(labels, _labelsShown))
                {
                    _labelsShown = labels as string[];
                    Array.Fill(_topShown, -2);
                }

                for (var k = 0; k < 5; k++)
                {
                    if (result.Top[k] != _topShown[k] || result.TopProbabilities[k] != _topProbShown[k])
                    {
                        _topShown[k] = result.Top[k];
                        _topProbShown[k] = result.TopProbabilities[k];
                        _topText[k] = result.Top[k] < 0 || result.Top[k] >= labels.Count ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"{result.TopProbabilities[k],6:P1}  {labels[result.Top[k]]}");
                    }

                    var barWidth = (left - (2 * M)) * Math.Clamp(result.TopProbabilities[k], 0, 1);
                    _display.FillRect(new RectF(M, y + 2, barWidth, line - 4), new Colour(0.2f, 0.45f, 0.8f, 0.6f));
                    _display.DrawText(_font, _topText[k], M + 4, y, k == 0 ? Highlight : Text);
                    y += line;
                }
            }
            else
            {
                _display.DrawText(_font, "features only: no classifier head", M, y, Dim);
                y += line;
            }

            y += M;
            _display.DrawText(_font, status.Rates, M, y, Text);
            _display.DrawText(_font, status.Latency, M, y + line, Text);
            _display.DrawText(_font, status.Device, M, y + (2 * line), Dim);
            _display.DrawText(_font, status.Source, M, y + (3 * line), Dim);
            if (status.Problem is { } problem)
            {
                _display.DrawText(_font, problem, M, y + (4 * line), Highlight);
            }
        }

        // The selected layer, large, with the selected channel beside it.
        var selected = _model.Taps[_layer];
        if (_selectionFor != (_layer, _channel))
        {
            _selectionFor = (_layer, _channel);
            _selection = selected.IsVector
                ? $"{_titles[_layer]}  ({_layer}/{_model.Taps.Count - 1}, Left/Right to change)"
                : string.Create(CultureInfo.InvariantCulture, $"{_titles[_layer]}  channel {_channel}  ({_layer}/{_model.Taps.Count - 1}, Left/Right layer, click a channel)");
        }

        _display.DrawText(_font, _selection, _bigRect.X, _bigRect.Y - line, Text);
        Frame(_bigRect);
        if (selected.IsVector)
        {
            DrawBars(result, selected, _bigRect);
        }
        else
        {
            var block = selected.Layout;
            var fit = _bigRect.Fit(block.Width, block.Height);
            _display.DrawMapped(_atlas, _luts[_colormap], fit, BlockUv(block));
            var (cx, cy) = block.TileOrigin(_channel);
            var scale = fit.Width / block.Width;
            var tile = new RectF(fit.X + ((cx - block.X) * scale), fit.Y + ((cy - block.Y) * scale), block.TileW * scale, block.TileH * scale);
            Outline(tile.Inset(-1), Highlight);
            Frame(_zoomRect);
            var zoom = _zoomRect.Fit(block.TileW, block.TileH);
            _display.DrawMapped(_atlas, _luts[_colormap], zoom, TileUv(selected, _channel).Uv);
            _display.DrawText(_font, Colormaps.Names[_colormap], _zoomRect.X, _zoomRect.Bottom + 2, Dim);
        }

        // Every tapped layer as a thumbnail; the selected one outlined.
        for (var i = 0; i < _thumbs.Length; i++)
        {
            var tap = _model.Taps[i];
            Frame(_thumbs[i]);
            if (i == 0)
            {
                var (uv, su, sv) = TileUv(tap, 0);
                _display.DrawChannels(_atlas, _thumbs[i].Fit(1, 1), uv, su, sv, _model.NetworkInputIsBgr);
            }
            else
            {
                _display.DrawMapped(_atlas, _luts[_colormap], _thumbs[i].Fit(tap.Layout.Width, tap.Layout.Height), BlockUv(tap.Layout));
            }

            if (i == _layer)
            {
                Outline(_thumbs[i].Inset(-2), Highlight);
            }
        }

        DrawReceptiveField();
        DrawTraining();
        if (status.Frozen)
        {
            _display.DrawText(_font, "FROZEN (F)", _bigRect.Right - _font.Measure("FROZEN (F)"), _bigRect.Y - line, Highlight);
        }

        if (_help)
        {
            DrawHelp();
        }
        else
        {
            _display.DrawText(_font, "H help", w - _font.Measure("H help") - M, h - line, Dim);
        }
    }

    public bool OnKey(KeyPress key)
    {
        if (_training is not null && OnTrainingKey(key, _training))
        {
            return true;
        }

        var taps = _model.Taps.Count;
        switch (key.Key)
        {
            case Key.Right or Key.PageDown:
                (_layer, _channel) = ((_layer + 1) % taps, 0);
                return true;
            case Key.Left or Key.PageUp:
                (_layer, _channel) = ((_layer + taps - 1) % taps, 0);
                return true;
            case Key.Up:
                _channel = Math.Min(_channel + 1, ChannelCount(_layer) - 1);
                return true;
            case Key.Down:
                _channel = Math.Max(_channel - 1, 0);
                return true;
            case Key.M when !key.IsRepeat:
                _colormap = (_colormap + 1) % _luts.Length;
                return true;
            case Key.H when !key.IsRepeat:
                _help = !_help;
                return true;
            case Key.P when !key.IsRepeat:
                _sidePanels = !_sidePanels;
                _layoutFor = default;
                return true;
            default:
                return false;
        }
    }

    public bool OnClick(MouseClick click)
    {
        for (var i = 0; i < _thumbs.Length; i++)
        {
            if (_thumbs[i].Contains(click.X, click.Y))
            {
                (_layer, _channel) = (i, 0);
                return true;
            }
        }

        var tap = _model.Taps[_layer];
        if (!tap.IsVector && _zoomRect.Contains(click.X, click.Y))
        {
            return ClickZoom(tap, click);
        }

        if (tap.IsVector || !_bigRect.Contains(click.X, click.Y))
        {
            return false;
        }

        var block = tap.Layout;
        var fit = _bigRect.Fit(block.Width, block.Height);
        var scale = fit.Width / block.Width;
        var col = (int)((click.X - fit.X) / scale / (block.TileW + block.Gap));
        var row = (int)((click.Y - fit.Y) / scale / (block.TileH + block.Gap));
        var channel = (row * block.Columns) + col;
        if (click.X < fit.X || click.Y < fit.Y || col >= block.Columns || channel >= block.Channels)
        {
            return false;
        }

        _channel = channel;
        return true;
    }

    public void Dispose()
    {
        _frame.Dispose();
        _atlas.Dispose();
        foreach (var lut in _luts)
        {
            lut.Dispose();
        }
    }

    /// <summary>Places the panels for a framebuffer of <paramref name="w"/>×<paramref name="h"/>.</summary>
    internal void Layout(int w, int h)
    {
        _layoutFor = (w, h);
        const float M = 10;
        var line = _font.CellHeight + 2;
        var left = _sidePanels ? w * 0.26f : 0;
        var x0 = left + M;
        var width = w - x0 - M;
        var thumbsHeight = h * 0.24f;
        _thumbTop = h - thumbsHeight - M;
        var bigHeight = h - thumbsHeight - (3 * M) - (2 * line);
        var zoom = Math.Min(width * 0.3f, bigHeight);
        _bigRect = new RectF(x0, M + line, width - zoom - M, bigHeight);
        _zoomRect = new RectF(_bigRect.Right + M, _bigRect.Y, zoom, zoom);
        var n = _thumbs.Length;
        var rows = n > 8 ? 2 : 1;
        var cols = (n + rows - 1) / rows;
        var cellW = width / cols;
        var cellH = (thumbsHeight - M) / rows;
        for (var i = 0; i < n; i++)
        {
            _thumbs[i] = new RectF(x0 + ((i % cols) * cellW), h - thumbsHeight + ((i / cols) * cellH), cellW - 6, cellH - 6);
        }
    }

    private int ChannelCount(int layer) => _model.Taps[layer].IsVector ? 1 : _model.Taps[layer].Channels;

    private RectF BlockUv(Engine.Ops.TileLayout l) =>
        new((float)l.X / _model.AtlasWidth, (float)l.Y / _model.AtlasHeight, (float)l.Width / _model.AtlasWidth, (float)l.Height / _model.AtlasHeight);

    private (RectF Uv, float StepU, float StepV) TileUv(TapInfo tap, int channel)
    {
        var l = tap.Layout;
        var (x, y) = l.TileOrigin(channel);
        var (x1, y1) = l.TileOrigin(Math.Min(channel + 1, l.Channels - 1));
        float aw = _model.AtlasWidth, ah = _model.AtlasHeight;
        return (new RectF(x / aw, y / ah, l.TileW / aw, l.TileH / ah), (x1 - x) / aw, (y1 - y) / ah);
    }

    private void DrawBars(ModelFrameResult result, TapInfo tap, RectF rect)
    {
        // One bar per group of neurons (their largest activation), so thousands of neurons fit any width.
        var l = tap.Layout;
        var neurons = tap.Shape.Length;
        var bars = Math.Max(1, Math.Min(neurons, (int)(rect.Width / 2)));
        var barWidth = rect.Width / bars;
        for (var b = 0; b < bars; b++)
        {
            int first = (int)((long)neurons * b / bars), last = (int)((long)neurons * (b + 1) / bars);
            var peak = 0;
            for (var i = first; i < Math.Max(last, first + 1); i++)
            {
                peak = Math.Max(peak, result.Atlas[((l.Y + (i / l.TileW)) * l.AtlasWidth) + l.X + (i % l.TileW)]);
            }

            var height = rect.Height * peak / 255f;
            _display.FillRect(new RectF(rect.X + (b * barWidth), rect.Bottom - height, Math.Max(1, barWidth - 1), height), Bar);
        }
    }

    private void DrawHelp()
    {
        ReadOnlySpan<string> lines =
        [
            "Left/Right  previous/next layer        Up/Down  channel",
            "click       a thumbnail: that layer;   a tile: that channel",
            "M           colormap (viridis, inferno, grey)",
            "F/Space     freeze the frame           S  screenshot (PNG)",
            "Tab         next source                P  side panels",
            "1-9         capture into class k (hold: burst)",
            "Backspace   remove last sample         T  train a head",
            "H           this help                  Esc  cancel training / quit",
        ];
        var line = _font.CellHeight + 2;
        var box = new RectF(_bigRect.X + 20, _bigRect.Y + 20, Math.Min(_bigRect.Width - 40, _font.Measure(lines[0]) + 40), (lines.Length * line) + 30);
        _display.FillRect(box, new Colour(0, 0, 0, 0.85f));
        for (var i = 0; i < lines.Length; i++)
        {
            _display.DrawText(_font, lines[i], box.X + 20, box.Y + 15 + (i * line), Text);
        }
    }

    // Only the border is drawn: panels sit on the cleared background, and every filled pixel costs a software
    // rasteriser (llvmpipe, in CI and on machines without a GPU) real time.
    private void Frame(RectF r) => Outline(r.Inset(-1), Border, 1);

    private void Outline(RectF r, Colour c, float width = 2)
    {
        _display.FillRect(new RectF(r.X, r.Y, r.Width, width), c);
        _display.FillRect(new RectF(r.X, r.Bottom - width, r.Width, width), c);
        _display.FillRect(new RectF(r.X, r.Y, width, r.Height), c);
        _display.FillRect(new RectF(r.Right - width, r.Y, width, r.Height), c);
    }

    /// <summary>A click on the zoomed channel: the input pixels that cell of the layer sees.</summary>
    private bool ClickZoom(TapInfo tap, MouseClick click)
    {
        var block = tap.Layout;
        var zoom = _zoomRect.Fit(block.TileW, block.TileH);
        if (!zoom.Contains(click.X, click.Y) || !_fields.TryGetValue(tap.Name, out var info) || info.ReceptiveField == 0)
        {
            return false;
        }

        int h = tap.Shape[2], w = tap.Shape[3], size = _model.Taps[0].Shape[2];
        var x = Math.Clamp((int)((click.X - zoom.X) / zoom.Width * w), 0, w - 1);
        var y = Math.Clamp((int)((click.Y - zoom.Y) / zoom.Height * h), 0, h - 1);
        var (x0, x1) = info.FieldOf(x);
        var (y0, y1) = info.FieldOf(y);
        _receptive = (_layer, x, y, x0, y0, x1, y1);
        _receptiveText = string.Create(CultureInfo.InvariantCulture,
            $"{tap.Name} ({x}, {y}) sees input columns {x0}..{x1}, rows {y0}..{y1}: {info.ReceptiveField}x{info.ReceptiveField} of {size}x{size} (jump {info.Jump})");
        return true;
    }

    /// <summary>The clicked cell outlined in the zoom and its receptive field in the input panel (clipped to it).</summary>
    private void DrawReceptiveField()
    {
        if (_receptive is not { } r || r.Layer != _layer || !_sidePanels)
        {
            return;
        }

        var tap = _model.Taps[_layer];
        var size = (float)_model.Taps[0].Shape[2];
        float Sx(int v) => _inputRect.X + (Math.Clamp(v, 0, size) * _inputRect.Width / size);
        float Sy(int v) => _inputRect.Y + (Math.Clamp(v, 0, size) * _inputRect.Height / size);
        Outline(new RectF(Sx(r.X0), Sy(r.Y0), Sx(r.X1 + 1) - Sx(r.X0), Sy(r.Y1 + 1) - Sy(r.Y0)), Highlight);
        var zoom = _zoomRect.Fit(tap.Layout.TileW, tap.Layout.TileH);
        float cw = zoom.Width / tap.Shape[3], ch = zoom.Height / tap.Shape[2];
        Outline(new RectF(zoom.X + (r.X * cw), zoom.Y + (r.Y * ch), Math.Max(cw, 2), Math.Max(ch, 2)), Highlight);
        _display.DrawText(_font, _receptiveText, _bigRect.X, _thumbTop - _font.CellHeight - 2, Highlight);
    }

    private static bool OnTrainingKey(KeyPress key, LiveTraining training)
    {
        if (key.Code is >= (int)Key.D1 and <= (int)Key.D9)
        {
            training.Capture(key.Code - (int)Key.D1); // held down: key repeats capture a burst
            return true;
        }

        switch (key.Key)
        {
            case Key.Backspace:
                training.Post(TrainingCommand.RemoveLast);
                return true;
            case Key.T when !key.IsRepeat:
                training.Post(TrainingCommand.Train);
                return true;
            case Key.Escape when training.Status.Training:
                training.Post(TrainingCommand.Cancel);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Sample counts, training state, the loss (blue) and held-out accuracy (green) per epoch, and the
    /// confusion matrix, under the zoomed channel.</summary>
    private void DrawTraining()
    {
        if (_training is null || !_sidePanels)
        {
            return;
        }

        var status = _training.Status;
        var line = _font.CellHeight + 2;
        var x = _zoomRect.X;
        var y = _zoomRect.Bottom + line + 6;
        var width = _display.Width - x - 10;
        foreach (var text in status.Lines)
        {
            if (y + line > _thumbTop)
            {
                return;
            }

            _display.DrawText(_font, text, x, y, text.StartsWith("head", StringComparison.Ordinal) ? Highlight : Text);
            y += line;
        }

        var epochs = status.Loss.Count;
        var chart = new RectF(x, y + 4, width, Math.Min(80, _thumbTop - y - 8));
        if (epochs == 0 || chart.Height < 20)
        {
            return;
        }

        Frame(chart);
        var maxLoss = 1e-6;
        foreach (var l in status.Loss)
        {
            maxLoss = Math.Max(maxLoss, l);
        }

        var step = chart.Width / Math.Max(epochs, 40);
        for (var e = 0; e < epochs; e++)
        {
            var h = (float)(chart.Height * status.Loss[e] / maxLoss);
            _display.FillRect(new RectF(chart.X + (e * step), chart.Bottom - h, Math.Max(1, step - 1), h), new Colour(0.3f, 0.5f, 1f, 0.8f));
            if (!double.IsNaN(status.Accuracy[e]))
            {
                var a = (float)(chart.Height * status.Accuracy[e]);
                _display.FillRect(new RectF(chart.X + (e * step), chart.Bottom - a - 1, Math.Max(2, step - 1), 3), new Colour(0.3f, 0.9f, 0.3f));
            }
        }
    }
}
