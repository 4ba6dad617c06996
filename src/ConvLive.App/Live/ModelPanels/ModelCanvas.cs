// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Live;
using ConvLive.Render;

namespace ConvLive.App.Live.ModelPanels;

/// <summary>
/// What the model view's panels share: the display and font, the model, the one 8-bit atlas texture and the colormap
/// lookups, the selection (layer, channel, colormap, side panels shown), where each panel sits, and the drawing
/// helpers. Render thread only.
/// </summary>
/// <remarks>Owns the atlas and lookup textures; not the display, font or model.</remarks>
internal sealed class ModelCanvas : IDisposable
{
    public const float Margin = 10;

    public static readonly Colour Border = new(0.22f, 0.22f, 0.25f);
    public static readonly Colour Text = new(0.88f, 0.88f, 0.88f);
    public static readonly Colour Dim = new(0.6f, 0.6f, 0.65f);
    public static readonly Colour Highlight = new(1f, 0.75f, 0.2f);

    public ModelCanvas(Display display, FontAtlas font, LiveModel model)
    {
        Display = display;
        Font = font;
        Model = model;
        Atlas = display.CreateTexture(smooth: false);
        Luts = Colormaps.Names.Select(n => display.CreateLut(Colormaps.Table(n))).ToArray();
        Titles = model.Taps.Select(t => t.Title).ToArray();
        Thumbs = new RectF[model.Taps.Count];
        ThumbLabels = new string[model.Taps.Count];
        Layer = Math.Min(1, model.Taps.Count - 1);
    }

    public Display Display { get; }

    public FontAtlas Font { get; }

    public LiveModel Model { get; }

    /// <summary>Every tapped layer's tiles, one byte a texel.</summary>
    public PanelTexture Atlas { get; }

    /// <summary>One 256×1 lookup a colormap.</summary>
    public PanelTexture[] Luts { get; }

    public string[] Titles { get; }

    /// <summary>The selected layer (a tap index) and channel.</summary>
    public int Layer { get; set; }

    /// <inheritdoc cref="Layer"/>
    public int Channel { get; set; }

    /// <summary>Index into <see cref="Colormaps.Names"/>.</summary>
    public int Colormap { get; set; }

    /// <summary>Whether the left column (camera, input, top-5, status) and the training panel show.</summary>
    public bool SidePanels { get; set; } = true;

    /// <summary>Text line height.</summary>
    public float Line => Font.CellHeight + 2;

    /// <summary>Width of the left column (0 when hidden).</summary>
    public float Left { get; private set; }

    public RectF Big { get; private set; }

    public RectF Zoom { get; private set; }

    /// <summary>The row under the zoom for the top-9 grid (left) and what the unit wants (right), titles above.</summary>
    public RectF Study { get; private set; }

    /// <summary>Where the network input was last drawn (the receptive field is drawn over it).</summary>
    public RectF Input { get; set; }

    public RectF[] Thumbs { get; }

    /// <summary>Each thumbnail's layer name, small, under it.</summary>
    public string[] ThumbLabels { get; }

    public float ThumbTop { get; private set; }

    public TapInfo Selected => Model.Taps[Layer];

    public PanelTexture Lut => Luts[Colormap];

    /// <summary>Places the panels for a framebuffer of <paramref name="w"/>×<paramref name="h"/>.</summary>
    public void Layout(int w, int h)
    {
        Left = SidePanels ? w * 0.26f : 0;
        var x0 = Left + Margin;
        var width = w - x0 - Margin;
        var thumbsHeight = h * 0.24f;
        ThumbTop = h - thumbsHeight - Margin;
        var bigHeight = h - thumbsHeight - (3 * Margin) - (2 * Line);
        // The right column: the zoomed channel, under it the unit's top-9 and what it wants side by side, then training.
        var zoom = Math.Min(width * 0.3f, bigHeight * 0.5f);
        Big = new RectF(x0, Margin + Line, width - zoom - Margin, bigHeight);
        Zoom = new RectF(Big.Right + Margin, Big.Y, zoom, zoom);
        Study = new RectF(Zoom.X, Zoom.Bottom + (2 * Line) + 4, zoom, (zoom - Margin) / 2); // under the colormap name and the titles
        var n = Thumbs.Length;
        var rows = n > 8 ? 2 : 1;
        var cols = (n + rows - 1) / rows;
        var cellW = width / cols;
        var cellH = (thumbsHeight - Margin) / rows;
        var label = Font.Small.CellHeight;
        for (var i = 0; i < n; i++)
        {
            Thumbs[i] = new RectF(x0 + ((i % cols) * cellW), h - thumbsHeight + ((i / cols) * cellH), cellW - 6, cellH - 6 - label);
            ThumbLabels[i] = ThumbLabel(Model.Taps[i].Label, cellW - 6);
        }
    }

    /// <summary>A layer's name under its thumbnail: as it is when it fits, else shortened (layer3.1.conv2 as
    /// L3.1.c2, downsample as ds); made when the layout changes, never per frame.</summary>
    private string ThumbLabel(string label, float room)
    {
        if (Font.Small.Measure(label) <= room)
        {
            return label;
        }

        return label.Replace("layer", "L", StringComparison.Ordinal).Replace("downsample", "ds", StringComparison.Ordinal)
            .Replace("conv", "c", StringComparison.Ordinal).Replace("relu", "r", StringComparison.Ordinal);
    }

    public int ChannelCount(int layer) => Model.Taps[layer].IsVector ? 1 : Model.Taps[layer].Channels;

    /// <summary>A layer's whole block of tiles in atlas texture coordinates.</summary>
    public RectF BlockUv(Engine.Ops.TileLayout l) =>
        new((float)l.X / Model.AtlasWidth, (float)l.Y / Model.AtlasHeight, (float)l.Width / Model.AtlasWidth, (float)l.Height / Model.AtlasHeight);

    /// <summary>One channel's tile in atlas texture coordinates, and the step to the next tile.</summary>
    public (RectF Uv, float StepU, float StepV) TileUv(TapInfo tap, int channel)
    {
        var l = tap.Layout;
        var (x, y) = l.TileOrigin(channel);
        var (x1, y1) = l.TileOrigin(Math.Min(channel + 1, l.Channels - 1));
        float aw = Model.AtlasWidth, ah = Model.AtlasHeight;
        return (new RectF(x / aw, y / ah, l.TileW / aw, l.TileH / ah), (x1 - x) / aw, (y1 - y) / ah);
    }

    /// <summary>The network input (tap 0) drawn as a colour picture into <paramref name="rect"/>.</summary>
    public void DrawInput(RectF rect)
    {
        var (uv, stepU, stepV) = TileUv(Model.Taps[0], 0);
        Display.DrawChannels(Atlas, rect, uv, stepU, stepV, Model.NetworkInputIsBgr);
    }

    /// <summary>A panel's border. Only the border is drawn: panels sit on the cleared background, and every filled
    /// pixel costs a software rasteriser (llvmpipe, in CI and on machines without a GPU) real time.</summary>
    public void Frame(RectF r) => Outline(r.Inset(-1), Border, 1);

    public void Outline(RectF r, Colour c, float width = 2)
    {
        Display.FillRect(new RectF(r.X, r.Y, r.Width, width), c);
        Display.FillRect(new RectF(r.X, r.Bottom - width, r.Width, width), c);
        Display.FillRect(new RectF(r.X, r.Y, width, r.Height), c);
        Display.FillRect(new RectF(r.Right - width, r.Y, width, r.Height), c);
    }

    public void Dispose()
    {
        Atlas.Dispose();
        foreach (var lut in Luts)
        {
            lut.Dispose();
        }
    }
}
