// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Live.ModelPanels;
using ConvLive.App.Training;
using ConvLive.Engine.Live;
using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>
/// What a network sees, as panels (ModelPanels/): the camera frame and the input as the network gets it, the top-5
/// classes, the status, the selected layer large with its channel zoomed (fully connected layers as bars), every
/// tapped layer as a thumbnail, training, help. One 8-bit atlas texture holds every layer; a colormap lookup
/// texture colours it on the GPU, so switching colormaps costs nothing. This class places the panels, hands them
/// keys and clicks, and uploads a frame's textures.
/// </summary>
internal sealed class ModelView : ILiveView
{
    private readonly ModelCanvas _canvas;
    private readonly CameraPanel _camera;
    private readonly TopClassesPanel _top;
    private readonly StatusPanel _status;
    private readonly LayerPanel _layer;
    private readonly ThumbnailsPanel _thumbnails;
    private readonly TrainingPanel? _training;
    private readonly SampleMapPanel? _map;
    private readonly HelpPanel _help;
    private readonly ExplainSwitch? _explain;
    private readonly UnitStudy? _study;
    private readonly UnitStudyPanel? _studyPanel;
    private bool _framePending;
    private bool _atlasPending;
    private bool _studyPending;
    private ModelFrameResult? _last;
    private (int W, int H) _layoutFor;

    public ModelView(Display display, FontAtlas font, LiveModel model, LiveTraining? training, ExplainSwitch? explain = null, UnitStudy? study = null, Cli.UnitSpec? select = null)
    {
        _explain = explain;
        _study = study;
        _canvas = new ModelCanvas(display, font, model);
        if (select is { } s && model.Taps.ToList().FindIndex(t => t.Name == s.Value && t.Op != "Input") is var layer and >= 0)
        {
            (_canvas.Layer, _canvas.Channel) = (layer, Math.Clamp(s.Channel, 0, _canvas.ChannelCount(layer) - 1));
        }

        _studyPanel = study is null ? null : new UnitStudyPanel(_canvas, study);
        _camera = new CameraPanel(_canvas);
        _top = new TopClassesPanel(_canvas);
        _status = new StatusPanel(_canvas);
        _layer = new LayerPanel(_canvas);
        _thumbnails = new ThumbnailsPanel(_canvas);
        _training = training is null ? null : new TrainingPanel(_canvas, training);
        _map = training is null ? null : new SampleMapPanel(_canvas, training.Map, training.Classes);
        _help = new HelpPanel(_canvas);
        Layout(display.Width, display.Height); // now, so a click before the first frame lands on what it will show
    }

    public int TappedLayers => _canvas.Model.Taps.Count - 1;

    public string ClickInfo => _layer.ClickInfo;

    public (string Layer, string Label, int Channel, string Colormap)? Selection => (_canvas.Selected.Name, _canvas.Selected.Label, _canvas.Channel, Colormaps.Names[_canvas.Colormap]);

    public bool TryUpload(FrameResult slot)
    {
        var result = (ModelFrameResult)slot;
        if (!ReferenceEquals(result, _last))
        {
            (_framePending, _atlasPending, _studyPending, _last) = (true, true, _studyPanel is not null, result);
        }

        if (_framePending)
        {
            _framePending = !_camera.TryUpload(result);
        }

        if (_studyPending)
        {
            _studyPending = !_studyPanel!.TryUpload(result);
        }

        if (_atlasPending)
        {
            // One byte a texel rather than packed four to an RGBA texel: on llvmpipe the upload costs the same here
            // and every composition draws faster (no byte selection per pixel: 14.9 -> 12.7 ms at 1280x720).
            var model = _canvas.Model;
            _atlasPending = !_canvas.Atlas.TryUpload(result.Atlas.AsSpan(0, model.AtlasWidth * model.AtlasHeight), model.AtlasWidth, model.AtlasHeight, PixelLayout.Grey8);
        }

        return !_framePending && !_atlasPending && !_studyPending;
    }

    public void Draw(FrameResult slot, StatusText status)
    {
        var result = (ModelFrameResult)slot;
        if ((_canvas.Display.Width, _canvas.Display.Height) != _layoutFor)
        {
            Layout(_canvas.Display.Width, _canvas.Display.Height);
        }

        if (_canvas.SidePanels)
        {
            var y = _top.Draw(result, _camera.Draw(result, _explain?.Name, _explain?.Why));
            _status.Draw(status, y + ModelCanvas.Margin);
        }

        _layer.Draw(result, status.Frozen);
        _map?.Draw(result); // over the zoomed channel while V is on
        var selected = _canvas.Selected;
        _study?.Select(selected.IsVector || _canvas.Layer == 0 ? null : selected.Name, _canvas.Channel);
        _studyPanel?.Draw(result);
        _thumbnails.Draw();
        _training?.Draw();
        _help.Draw();
    }

    public bool OnKey(KeyPress key)
    {
        if ((_training is not null && _training.OnKey(key)) || (_map is not null && _map.OnKey(key)))
        {
            return true;
        }

        if (_studyPanel is not null && _studyPanel.OnKey(key, _last, _layer.ClickedCell, _explain?.Class ?? -1))
        {
            return true;
        }

        var taps = _canvas.Model.Taps.Count;
        switch (key.Key)
        {
            case Key.Right or Key.PageDown:
                (_canvas.Layer, _canvas.Channel) = ((_canvas.Layer + 1) % taps, 0);
                return true;
            case Key.Left or Key.PageUp:
                (_canvas.Layer, _canvas.Channel) = ((_canvas.Layer + taps - 1) % taps, 0);
                return true;
            case Key.Up:
                _canvas.Channel = Math.Min(_canvas.Channel + 1, _canvas.ChannelCount(_canvas.Layer) - 1);
                return true;
            case Key.Down:
                _canvas.Channel = Math.Max(_canvas.Channel - 1, 0);
                return true;
            case Key.M when !key.IsRepeat:
                _canvas.Colormap = (_canvas.Colormap + 1) % _canvas.Luts.Length;
                return true;
            case Key.E when !key.IsRepeat && _explain is not null:
                _explain.Next();
                return true;
            case Key.U when !key.IsRepeat && _explain is not null:
                // The selected channel becomes the seed (backprop from a unit); again, back to the top class.
                var selected = _canvas.Selected;
                // A unit clicked in the zoom narrows it to that one position, as the toolbox does.
                _explain.Unit = _explain.Unit is null && !selected.IsVector && _canvas.Layer > 0 ? new Cli.UnitSpec(selected.Name, _canvas.Channel, _layer.ClickedCell) : null;
                return true;
            case Key.H when !key.IsRepeat:
                _help.Shown = !_help.Shown;
                return true;
            case Key.P when !key.IsRepeat:
                _canvas.SidePanels = !_canvas.SidePanels;
                _layoutFor = default;
                return true;
            default:
                return false;
        }
    }

    public bool OnClick(MouseClick click)
    {
        if (_explain is not null && _canvas.SidePanels && _top.ClassAt(click) is { } k)
        {
            // A top-5 line picks the class explained; the same line again goes back to the top class.
            _explain.Class = _explain.Class == k ? -1 : k;
            return true;
        }

        if (!_layer.OnClick(click))
        {
            return _thumbnails.OnClick(click);
        }

        // While a unit of this layer is explained, a click in the zoom moves the seed to the clicked unit.
        if (_explain?.Unit is { } unit && unit.Value == _canvas.Selected.Name && _layer.ClickedCell is { } cell)
        {
            _explain.Unit = new Cli.UnitSpec(unit.Value, _canvas.Channel, cell);
        }

        return true;
    }

    public void Dispose()
    {
        _studyPanel?.Dispose();
        _training?.Dispose();
        _camera.Dispose();
        _canvas.Dispose();
    }

    /// <summary>Places the panels for a framebuffer of <paramref name="w"/>×<paramref name="h"/>.</summary>
    internal void Layout(int w, int h)
    {
        _layoutFor = (w, h);
        _canvas.Layout(w, h);
    }
}
