// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.App.Cli;
using ConvLive.Render;

namespace ConvLive.App.Live.ModelPanels;

/// <summary>
/// Under the zoomed channel: its top-9 from the stream as a 3×3 grid (X clears it, N saves the layer's grids), and what
/// the unit wants (W starts and stops activation maximisation of the selected channel, of the clicked unit in it, or
/// of the explained class on a fully connected layer; I saves the picture). Render thread only.
/// </summary>
/// <remarks>Owns its two textures; not the study.</remarks>
internal sealed class UnitStudyPanel(ModelCanvas canvas, UnitStudy study) : IDisposable
{
    private readonly PanelTexture _grid = canvas.Display.CreateTexture(smooth: false);
    private readonly PanelTexture _wants = canvas.Display.CreateTexture(smooth: true);
    private (bool Grid, bool Wants) _shown;
    private (bool Grid, bool Wants) _pending;
    private ModelFrameResult? _uploading;
    private Task _savingWants = Task.CompletedTask;
    private (string Layer, int Channel, int Count) _gridTitleFor = (string.Empty, -1, -1);
    private string _gridTitle = string.Empty;
    private (string Label, int Steps) _wantsTitleFor = (string.Empty, -1);
    private string _wantsTitle = string.Empty;

    /// <summary>Uploads the frame's grid and picture (within the display's per-frame budget); true when both are up.
    /// Called again with the same frame until it says so: what is already up is not sent twice.</summary>
    public bool TryUpload(ModelFrameResult result)
    {
        if (!ReferenceEquals(result, _uploading))
        {
            (_uploading, _pending) = (result, (result.GridSide > 0, result.WantsSide > 0));
        }

        if (_pending.Grid)
        {
            _pending.Grid = !_grid.TryUpload(result.Grid.AsSpan(0, result.GridSide * result.GridSide * 4), result.GridSide, result.GridSide, PixelLayout.Rgba8);
        }

        if (_pending.Wants)
        {
            _pending.Wants = !_wants.TryUpload(result.Wants.AsSpan(0, result.WantsSide * result.WantsSide * 4), result.WantsSide, result.WantsSide, PixelLayout.Rgba8);
        }

        _shown = (result.GridSide > 0 && !_pending.Grid, result.WantsSide > 0 && !_pending.Wants);
        return !_pending.Grid && !_pending.Wants;
    }

    public void Draw(ModelFrameResult result)
    {
        var (display, font, line, m) = (canvas.Display, canvas.Font, canvas.Line, ModelCanvas.Margin);
        var row = canvas.Study;
        var cell = row.Height;
        if (cell >= 24)
        {
            var gridBox = new RectF(row.X, row.Y, cell, cell);
            var wantsBox = new RectF(row.Right - cell, row.Y, cell, cell);
            if (_shown.Grid && result.GridSide > 0)
            {
                canvas.Frame(gridBox);
                display.DrawTexture(_grid, gridBox);
                display.DrawTextClipped(font, GridTitle(result), gridBox.X, gridBox.Y - line, ModelCanvas.Dim, cell + m);
            }

            if (_shown.Wants && result.WantsSide > 0)
            {
                canvas.Frame(wantsBox);
                display.DrawTexture(_wants, wantsBox);
                display.DrawTextClipped(font, WantsTitle(result), wantsBox.X, wantsBox.Y - line, ModelCanvas.Dim, cell);
            }
        }

        if (study.Message is { } message)
        {
            display.DrawTextClipped(font, message, canvas.Big.X, canvas.Big.Bottom + 2, ModelCanvas.Highlight, canvas.Zoom.Right - canvas.Big.X);
        }
    }

    /// <summary>X, N, W and I; <paramref name="last"/> is the frame on screen, <paramref name="clicked"/> the unit
    /// clicked in the zoom of the selected layer (or null).</summary>
    public bool OnKey(KeyPress key, ModelFrameResult? last, (int X, int Y)? clicked, int explainedClass)
    {
        if (key.IsRepeat)
        {
            return false;
        }

        switch (key.Key)
        {
            case Key.X:
                study.Reset();
                return true;
            case Key.N:
                study.Save();
                return true;
            case Key.W when study.Wants is not null:
                study.SetWants(null);
                return true;
            case Key.W:
                study.SetWants(Target(last, clicked, explainedClass));
                if (study.Wants is null)
                {
                    study.Message = "W: select a channel (Left/Right, click a tile), or wait for the first class";
                }

                return true;
            case Key.I:
                SaveWants(last);
                return true;
            default:
                return false;
        }
    }

    public void Dispose()
    {
        _savingWants.Wait(TimeSpan.FromSeconds(30)); // a picture being written is finished before the app goes
        _grid.Dispose();
        _wants.Dispose();
    }

    /// <summary>The selected channel (at the clicked unit when there is one) on a channel layer; else the class
    /// explained (the top class when none is picked).</summary>
    private WantsTarget? Target(ModelFrameResult? last, (int X, int Y)? clicked, int explainedClass)
    {
        var tap = canvas.Selected;
        if (!tap.IsVector && canvas.Layer > 0)
        {
            return new WantsTarget(new UnitSpec(tap.Name, canvas.Channel, clicked), 0);
        }

        // The network's own class (a trained head's answer is not one of the network's outputs).
        var k = explainedClass >= 0 ? explainedClass : last?.NetworkTop ?? -1;
        return k >= 0 ? new WantsTarget(null, k) : null;
    }

    private void SaveWants(ModelFrameResult? last)
    {
        if (last is not { WantsSide: > 0 } r)
        {
            study.Message = "nothing to save yet: W starts drawing what the selected unit wants";
            return;
        }

        var side = r.WantsSide;
        var rgba = r.Wants.AsSpan(0, side * side * 4).ToArray();
        if (!_savingWants.IsCompleted)
        {
            study.Message = "the last picture is still being written";
            return;
        }

        var path = FileNames.Stamped("convlive-wants-" + FileNames.Safe(r.WantsLabel), ".png");
        var label = r.WantsLabel;
        var steps = r.WantsSteps;
        _savingWants = Task.Run(() =>
        {
            try
            {
                Pictures.WritePng(path, rgba, side, side);
                study.Message = string.Create(CultureInfo.InvariantCulture, $"what {label} wants ({steps} steps): {path}");
            }
            catch (Exception e)
            {
                study.Message = $"not saved: {e.Message} (check that {Path.GetFullPath(".")} is writable)";
            }
        });
    }

    private string GridTitle(ModelFrameResult r)
    {
        if (_gridTitleFor != (r.GridLayer, r.GridChannel, r.GridCount))
        {
            _gridTitleFor = (r.GridLayer, r.GridChannel, r.GridCount);
            _gridTitle = string.Create(CultureInfo.InvariantCulture, $"top-9 {r.GridCount}/9");
        }

        return _gridTitle;
    }

    private string WantsTitle(ModelFrameResult r)
    {
        var steps = r.WantsSteps / 10 * 10; // the title changes every ten steps, not every frame
        if (_wantsTitleFor != (r.WantsLabel, steps))
        {
            _wantsTitleFor = (r.WantsLabel, steps);
            _wantsTitle = string.Create(CultureInfo.InvariantCulture, $"wants {steps}");
        }

        return _wantsTitle;
    }
}
