// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Render;

namespace ConvLive.App.Live.ModelPanels;

/// <summary>The five most likely classes as bars with their probability and name (the trained head's when it
/// answers), under the answer line ("answer: mug" or "not sure") when the classifier has a calibrated threshold.
/// The text of a line is made only when its class or probability changes.</summary>
internal sealed class TopClassesPanel(ModelCanvas canvas)
{
    private static readonly Colour BarColour = new(0.2f, 0.45f, 0.8f, 0.6f);
    private static readonly Colour NotSureColour = new(1f, 0.65f, 0.2f, 1f);
    private const string NonFiniteLine = "no answer: the network gave NaN/Inf";
    private const string NonFiniteHint = "on this frame; nothing is kept from it";
    private readonly string[] _text = ["", "", "", "", ""];
    private readonly int[] _shown = [-2, -2, -2, -2, -2];
    private readonly float[] _probabilityShown = new float[5];
    private string[]? _labelsShown;
    private float _rowsTop = float.NaN;
    private bool _networkClasses;
    private string _answer = string.Empty;
    private (int Class, bool NotSure, float Threshold, int Percent) _answerShown = (-2, false, 0f, -1);

    /// <summary>Draws from <paramref name="y"/> down; returns the y under the panel.</summary>
    public float Draw(ModelFrameResult result, float y)
    {
        var (display, font, line, m) = (canvas.Display, canvas.Font, canvas.Line, ModelCanvas.Margin);
        if (result.NonFinite)
        {
            display.DrawTextClipped(font, NonFiniteLine, m, y, NotSureColour, canvas.Left - (2 * m));
            display.DrawTextClipped(font.Small, NonFiniteHint, m, y + line, ModelCanvas.Dim, canvas.Left - (2 * m));
            return y + (line * 2);
        }

        if ((result.ClassNames ?? canvas.Model.Labels) is not { } labels)
        {
            display.DrawText(font, "features only: no classifier head", m, y, ModelCanvas.Dim);
            return y + line;
        }

        if (!ReferenceEquals(labels, _labelsShown))
        {
            _labelsShown = labels as string[];
            Array.Fill(_shown, -2);
            _answerShown = (-2, false, 0f, -1);
        }

        if (result.NotSureBelow > 0)
        {
            // A calibrated head answers "not sure" rather than a confident wrong class.
            var notSure = result.TopProbabilities[0] < result.NotSureBelow;
            var answer = (result.Top[0], notSure, result.NotSureBelow, notSure ? (int)(result.TopProbabilities[0] * 100) : -1);
            if (answer != _answerShown)
            {
                _answerShown = answer;
                _answer = notSure
                    ? string.Create(CultureInfo.InvariantCulture, $"not sure (top {result.TopProbabilities[0] * 100:0}% < {result.NotSureBelow * 100:0}%)")
                    : result.Top[0] >= 0 && result.Top[0] < labels.Count ? $"answer: {labels[result.Top[0]]}" : string.Empty;
            }

            display.DrawTextClipped(font, _answer, m, y, notSure ? NotSureColour : ModelCanvas.Highlight, canvas.Left - (2 * m));
            y += line;
        }

        (_rowsTop, _networkClasses) = (y, result.ClassNames is null);

        for (var k = 0; k < 5; k++)
        {
            if (result.Top[k] != _shown[k] || result.TopProbabilities[k] != _probabilityShown[k])
            {
                _shown[k] = result.Top[k];
                _probabilityShown[k] = result.TopProbabilities[k];
                _text[k] = result.Top[k] < 0 || result.Top[k] >= labels.Count ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"{result.TopProbabilities[k],6:P1}  {labels[result.Top[k]]}");
            }

            var barWidth = (canvas.Left - (2 * m)) * Math.Clamp(result.TopProbabilities[k], 0, 1);
            display.FillRect(new RectF(m, y + 2, barWidth, line - 4), BarColour);
            display.DrawTextClipped(font, _text[k], m + 4, y, k == 0 ? ModelCanvas.Highlight : ModelCanvas.Text, canvas.Left - (2 * m) - 4);
            y += line;
        }

        return y;
    }

    /// <summary>The network class on the clicked line, or null (a click elsewhere, or the trained head's classes).</summary>
    public int? ClassAt(MouseClick click)
    {
        var row = (int)MathF.Floor((click.Y - _rowsTop) / canvas.Line);
        return _networkClasses && click.X < canvas.Left && row is >= 0 and < 5 && _shown[row] >= 0 ? _shown[row] : null;
    }
}
