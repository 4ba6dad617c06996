// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Render;

namespace ConvLive.App.Live.ModelPanels;

/// <summary>Every tapped layer as a thumbnail of all its channels along the bottom; the selected one outlined; a
/// click selects a layer.</summary>
internal sealed class ThumbnailsPanel(ModelCanvas canvas)
{
    public void Draw()
    {
        for (var i = 0; i < canvas.Thumbs.Length; i++)
        {
            var tap = canvas.Model.Taps[i];
            var rect = canvas.Thumbs[i];
            canvas.Frame(rect);
            canvas.Display.DrawTextClipped(canvas.Font.Small, canvas.ThumbLabels[i], rect.X, rect.Bottom + 1, i == canvas.Layer ? ModelCanvas.Highlight : ModelCanvas.Dim, rect.Width);
            if (i == 0)
            {
                canvas.DrawInput(rect.Fit(1, 1));
            }
            else
            {
                canvas.Display.DrawMapped(canvas.Atlas, canvas.Lut, rect.Fit(tap.Layout.Width, tap.Layout.Height), canvas.BlockUv(tap.Layout));
            }

            if (i == canvas.Layer)
            {
                canvas.Outline(rect.Inset(-2), ModelCanvas.Highlight);
            }
        }
    }

    /// <summary>Selects the layer whose thumbnail was clicked; false when the click missed them all.</summary>
    public bool OnClick(MouseClick click)
    {
        for (var i = 0; i < canvas.Thumbs.Length; i++)
        {
            if (canvas.Thumbs[i].Contains(click.X, click.Y))
            {
                (canvas.Layer, canvas.Channel) = (i, 0);
                return true;
            }
        }

        return false;
    }
}
