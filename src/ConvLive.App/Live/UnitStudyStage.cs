// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using ConvLive.Engine.Explain;
using ConvLive.Engine.Graph;
using ConvLive.Engine.Live;

namespace ConvLive.App.Live;

/// <summary>
/// The inference thread's part of <see cref="UnitStudy"/>. Right after each frame's forward, the selected layer's
/// top-9 takes the frame (its layer read back once) and the selected channel's grid goes into the slot. Last in the
/// frame's work, a save asked for is done (the files are written on a worker), and, while a unit's wants are asked
/// for, a few ascent steps run on the device and the picture as it stands goes into the slot: the steps run the
/// network on the synthesised picture, so they come after everything that reads the frame's values.
/// </summary>
/// <remarks>Owns the maximiser (made for its model); not the study or the model.</remarks>
internal sealed class UnitStudyStage(LiveModel model, UnitStudy study, int wantsStepsPerFrame = 2) : IDisposable
{
    private int _resetsDone = study.Resets;
    private ActivationMaximiser? _maximiser;
    private WantsTarget? _maximiserFor;
    private Task _saving = Task.CompletedTask;

    /// <summary>The maximiser's unit, steps and last activation, or null when none runs.</summary>
    public (string Unit, int Steps, float Activation)? State => _maximiser is { } m ? (m.Describe, m.Steps, m.Activation) : null;

    /// <summary>Right after the frame's forward (before anything else runs the network): the selected layer's
    /// top-9 takes the frame and the selected channel's grid goes into the slot; a pending reset is done first.</summary>
    public void Track(ModelFrameResult slot)
    {
        slot.GridSide = slot.GridCount = 0;
        var book = study.Book;
        var selected = study.Selected;
        if (study.Resets != _resetsDone)
        {
            _resetsDone = study.Resets;
            if (selected is { } s && book.CurrentLayer == s.Layer)
            {
                book.ResetCurrent();
                study.Message = $"top-9 of {s.Layer} reset";
            }
            else
            {
                study.Message = "top-9: select a convolution or pooling layer first (Left/Right)";
            }
        }

        if (selected is not { } unit)
        {
            return;
        }

        // The capture's sequence number: it survives a fallback to the cpu, which keeps the book.
        book.Track(model, unit.Layer, slot.Frame.Sequence, slot.Frame.Pixels, slot.Frame.Width, slot.Frame.Height);
        var tracker = book.Current!;
        if (unit.Channel < tracker.Channels)
        {
            var side = tracker.GridSide(tracker.CropSide);
            tracker.DrawGrid(unit.Channel, tracker.CropSide, slot.GridFor(side));
            (slot.GridSide, slot.GridCount, slot.GridLayer, slot.GridChannel) = (side, tracker.Count(unit.Channel), book.CurrentLayer, unit.Channel);
        }
    }

    /// <summary>Last in the frame's work: a save asked for, then the ascent steps of what a unit wants (which run
    /// the network on the synthesised picture).</summary>
    public void AfterFrame(ModelFrameResult slot)
    {
        if (study.TakeSave())
        {
            Save();
        }

        Ascend(slot);
    }

    public void Dispose()
    {
        _maximiser?.Dispose();
        _maximiser = null;
        _saving.Wait(TimeSpan.FromSeconds(30)); // a save under way finishes before the app goes (it catches its own errors)
    }

    private void Save()
    {
        if (!_saving.IsCompleted)
        {
            study.Message = "top-9: the last save is still being written";
            return;
        }

        if (study.Selected is not { } selected || selected.Layer != study.Book.CurrentLayer || study.Book.Snapshot() is not { } snapshot)
        {
            study.Message = "top-9: select a convolution or pooling layer first (Left/Right)";
            return;
        }

        var folder = FileNames.Stamped("convlive-top9-" + FileNames.Safe(snapshot.Layer), string.Empty);
        study.Message = $"top-9 of {snapshot.Layer}: writing {snapshot.Grids.Length} grids to {folder}";
        _saving = Task.Run(() =>
        {
            try
            {
                snapshot.Write(folder);
                study.Message = string.Create(CultureInfo.InvariantCulture, $"top-9 of {snapshot.Layer} ({snapshot.Filled} entries, {snapshot.Frames} frames) saved to {folder}");
            }
            catch (Exception e)
            {
                study.Message = $"top-9 not saved: {e.Message} (check that {Path.GetFullPath(".")} is writable)";
            }
        });
    }

    private void Ascend(ModelFrameResult slot)
    {
        (slot.WantsSide, slot.WantsMs) = (0, 0);
        var target = study.Wants;
        if (!ReferenceEquals(target, _maximiserFor))
        {
            _maximiser?.Dispose();
            (_maximiser, _maximiserFor) = (null, target);
            if (target is not null)
            {
                try
                {
                    _maximiser = target.Unit is { } u
                        ? model.CreateMaximiser(u.Value, u.Channel, u.Position, 0)
                        : model.CreateMaximiser(null, 0, null, target.Class);
                    study.Message = null;
                }
                catch (ModelException e)
                {
                    study.Message = $"what {target} wants: {e.Message}";
                    study.ClearWants(target); // unless another was asked for meanwhile
                }
            }
        }

        if (_maximiser is not { } m)
        {
            return;
        }

        var t0 = Stopwatch.GetTimestamp();
        m.Step(wantsStepsPerFrame);
        m.Render(slot.WantsFor(m.Side), model.NetworkInputIsBgr);
        (slot.WantsSide, slot.WantsSteps, slot.WantsActivation, slot.WantsLabel) = (m.Side, m.Steps, m.Activation, m.Describe);
        slot.WantsMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }
}
