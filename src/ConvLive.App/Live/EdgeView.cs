// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>The camera frame beside its edge map (the lecture's kernels), with captions.</summary>
internal sealed class EdgeView(Display display, FontAtlas font) : ILiveView
{
    private static readonly Colour Border = new(0.22f, 0.22f, 0.25f);
    private static readonly Colour Background = new(0.07f, 0.07f, 0.08f);
    private static readonly Colour Caption = new(0.85f, 0.85f, 0.85f);
    private readonly PanelTexture _frame = display.CreateTexture(smooth: true);
    private readonly PanelTexture _edges = display.CreateTexture(smooth: false);
    private RectF[] _layout = [];
    private (int W, int H, int FW, int FH) _layoutFor;
    private bool _framePending;
    private bool _edgesPending;
    private FrameResult? _last;
    private string? _captionFor;
    private int _captionWidth;
    private string _arithmetic = string.Empty;
    private string _caption = string.Empty;

    public int TappedLayers => 0;

    public (string Layer, int Channel, string Colormap)? Selection => null;

    public bool TryUpload(FrameResult result)
    {
        if (!ReferenceEquals(result, _last))
        {
            (_framePending, _edgesPending, _last) = (true, true, result);
        }

        var f = result.Frame;
        if (_framePending)
        {
            _framePending = !_frame.TryUpload(result.BgraPixels, f.Width, f.Height, PixelLayout.Bgra8);
        }

        if (_edgesPending)
        {
            _edgesPending = !_edges.TryUpload(result.RgbaPixels, f.Width, f.Height, PixelLayout.Rgba8);
        }

        return !_framePending && !_edgesPending;
    }

    public void Draw(FrameResult result, StatusText status)
    {
        var key = (display.Width, display.Height, Math.Max(result.Frame.Width, 4), Math.Max(result.Frame.Height, 3));
        if (key != _layoutFor)
        {
            _layoutFor = key;
            _layout = PanelLayout.Grid(display.Width, display.Height, 2, (float)key.Item3 / key.Item4, margin: 12, captionHeight: (2 * font.CellHeight) + 8);
        }

        foreach (var r in _layout)
        {
            display.FillRect(r.Inset(-2), Border);
            display.FillRect(r, Background);
        }

        display.DrawTexture(_frame, _layout[0]);
        display.DrawTexture(_edges, _layout[1]);
        display.DrawText(font, status.Source, _layout[0].X, _layout[0].Bottom + 4, Caption);
        if (!ReferenceEquals(result.KernelName, _captionFor) || result.Frame.Width != _captionWidth)
        {
            // The lecture's arithmetic for what is on screen: same-size output, padding K/2, stride 1.
            var k = Engine.Vision.Kernel2D.Named.FirstOrDefault(n => n.Name == result.KernelName)?.Size ?? 3;
            var n = result.Frame.Width;
            _captionFor = result.KernelName;
            _captionWidth = n;
            _caption = $"{result.KernelName} {k}x{k} kernel (C cycles), padding {k / 2}, stride 1";
            _arithmetic = $"width (N-K+2P)/S+1 = ({n}-{k}+2*{k / 2})/1+1 = {n - k + (2 * (k / 2)) + 1}";
        }

        display.DrawText(font, _caption, _layout[1].X, _layout[1].Bottom + 4, Caption);
        display.DrawText(font, _arithmetic, _layout[1].X, _layout[1].Bottom + 6 + font.CellHeight, Caption);
        display.DrawText(font, status.Rates, 12, 4, Caption);
        if (status.Problem is { } problem)
        {
            display.DrawText(font, problem, 12, display.Height - font.CellHeight - 4, new Colour(1f, 0.75f, 0.2f));
        }
    }

    public bool OnKey(KeyPress key) => false;

    public bool OnClick(MouseClick click) => false;

    public void Dispose()
    {
        _frame.Dispose();
        _edges.Dispose();
    }
}
