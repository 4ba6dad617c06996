// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Graph;

namespace ConvLive.Engine.Explain;

/// <summary>
/// What a unit wants: an input synthesised from faint noise by gradient ascent on the unit's activation, with the
/// regularisers of Yosinski et al. 2015 ("Understanding neural networks through deep visualization"): L2 decay
/// towards the mean picture, a random jitter of the input before each step, and a small Gaussian blur every few
/// steps, and the input kept within the range real pixels reach. Each <see cref="Step"/> runs the network forward
/// and backward once on its backend; the picture is updated on the host (one input's worth of values).
/// </summary>
/// <remarks>Runs the model it is given: the model's buffers hold the synthesised picture after a step. Plans its
/// backward once. One thread.</remarks>
public sealed class ActivationMaximiser : IDisposable
{
    private readonly CompiledModel _model;
    private readonly GradientProgram _program;
    private readonly string _input;
    private readonly string _value;
    private readonly int? _element;
    private readonly int _channel;
    private readonly float[] _low;
    private readonly float[] _high;
    private readonly float[] _image;
    private readonly float[] _shifted;
    private readonly float[] _gradient;
    private readonly float[] _values;
    private readonly Random _random;

    private ActivationMaximiser(CompiledModel model, string value, int? element, int channel, float[] low, float[] high, int seed)
    {
        _model = model;
        _input = model.InputNames[0];
        var shape = model.ShapeOf(_input);
        if (shape.Rank != 4 || shape[0] != 1 || low.Length != shape[1] || high.Length != shape[1])
        {
            throw new ModelException($"'{_input}' is {shape}: activation maximisation needs one (1,C,H,W) picture and a pixel range for each of its {(shape.Rank > 1 ? shape[1] : 0)} channels");
        }

        (Channels, Side, _value, _element, _channel, _low, _high) = (shape[1], shape[2], value, element, channel, low, high);
        _image = new float[shape.Length];
        _shifted = new float[shape.Length];
        _gradient = new float[shape.Length];
        _values = new float[model.ShapeOf(value).Length];
        _random = new Random(seed);
        Jitter = Math.Max(1, Side / 28);
        _program = GradientProgram.Create(model, value, [_input]);
        try
        {
            if (element is { } e)
            {
                _program.SeedElement(e);
            }
            else
            {
                _program.SeedChannel(channel);
            }
        }
        catch
        {
            _program.Dispose();
            throw;
        }

        // Faint noise around the mean picture: 2% of each channel's range.
        var plane = Side * Side;
        for (var i = 0; i < _image.Length; i++)
        {
            var c = i / plane;
            _image[i] = (float)((_random.NextDouble() - 0.5) * 0.04 * (high[c] - low[c])) + Math.Clamp(0f, low[c], high[c]);
        }
    }

    /// <summary>The mean step per pixel, as a fraction of the pixel range.</summary>
    public float StepFraction { get; set; } = 0.01f;

    /// <summary>L2 decay per step, towards 0 (the mean picture): x ← (1 − Decay)·x.</summary>
    public float Decay { get; set; } = 0.01f;

    /// <summary>Steps between blurs (0: never).</summary>
    public int BlurEvery { get; set; } = 4;

    /// <summary>The largest random shift of the picture before a step, pixels (0: none); by default 1/28 of the
    /// side (8 pixels at 227). It keeps a trained network's picture from exploiting one sampling phase of its
    /// strides; a network with random weights has no such structure and climbs only without it.</summary>
    public int Jitter { get; set; }

    /// <summary>Input channels.</summary>
    public int Channels { get; }

    /// <summary>Side of the (square) picture.</summary>
    public int Side { get; }

    /// <summary>Steps taken.</summary>
    public int Steps { get; private set; }

    /// <summary>The objective at the last step (on the jittered picture): the channel's mean activation, the
    /// element's value, or the class score.</summary>
    public float Activation { get; private set; } = float.NaN;

    /// <summary>What is maximised, for titles: "VALUE:CHANNEL", "VALUE:CHANNEL@X,Y" or "class K".</summary>
    public string Describe { get; private init; } = string.Empty;

    /// <summary>Maximises the mean of channel <paramref name="channel"/> of <paramref name="value"/>, or its element
    /// at <paramref name="position"/> (a single unit, as the toolbox does for convolution layers).</summary>
    /// <param name="model">The model; run by this object, not owned.</param>
    /// <param name="value">A value with channels (N,C,…).</param>
    /// <param name="channel">The channel.</param>
    /// <param name="position">A (column, row) in the channel's map, or null for the whole channel.</param>
    /// <param name="low">The lowest value a real pixel gives, per input channel (after normalisation).</param>
    /// <param name="high">The highest, per input channel.</param>
    /// <param name="seed">The noise's and the jitter's seed.</param>
    /// <returns>The maximiser; the caller owns it.</returns>
    /// <exception cref="ModelException">An unknown value, a channel or position out of range, or an op without a backward.</exception>
    public static ActivationMaximiser ForUnit(CompiledModel model, string value, int channel, (int X, int Y)? position, float[] low, float[] high, int seed = 1)
    {
        var element = Explainer.UnitElement(model, value, channel, position);
        return new ActivationMaximiser(model, value, element, channel, low, high, seed)
        {
            Describe = position is { } q ? $"{value}:{channel}@{q.X},{q.Y}" : $"{value}:{channel}",
        };
    }

    /// <summary>Maximises class <paramref name="index"/>'s score (before any Softmax).</summary>
    /// <param name="model">The model; run by this object, not owned.</param>
    /// <param name="index">The class.</param>
    /// <param name="low">The lowest value a real pixel gives, per input channel.</param>
    /// <param name="high">The highest, per input channel.</param>
    /// <param name="seed">The noise's and the jitter's seed.</param>
    /// <returns>The maximiser; the caller owns it.</returns>
    public static ActivationMaximiser ForClass(CompiledModel model, int index, float[] low, float[] high, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        var score = Explainer.ScoreValue(model.Graph);
        var classes = model.ShapeOf(score).Length;
        if (index < 0 || index >= classes)
        {
            throw new ModelException($"class {index} is out of range: '{score}' has {classes} scores (0..{classes - 1})");
        }

        return new ActivationMaximiser(model, score, index, 0, low, high, seed) { Describe = $"class {index}" };
    }

    /// <summary>The objective on the picture as it stands (no jitter); runs the network forward once.</summary>
    /// <returns>The activation.</returns>
    public float Measure()
    {
        _model.SetInput(_input, _image);
        _model.Run();
        return Objective();
    }

    /// <summary>Takes <paramref name="count"/> ascent steps: jitter, forward, backward, decay, step along the
    /// normalised gradient, clip; every fourth step a blur.</summary>
    /// <param name="count">Steps.</param>
    public void Step(int count = 1)
    {
        for (var s = 0; s < count; s++)
        {
            int dx = _random.Next(-Jitter, Jitter + 1), dy = _random.Next(-Jitter, Jitter + 1);
            Roll(_image, _shifted, dx, dy);
            _model.SetInput(_input, _shifted);
            _model.Run();
            Activation = Objective();
            _program.Run();
            _program.Read(_input, _shifted);
            Roll(_shifted, _gradient, -dx, -dy);
            Ascend();
            if (++Steps % Math.Max(BlurEvery, 1) == 0 && BlurEvery > 0)
            {
                Blur();
            }
        }
    }

    /// <summary>The picture as RGBA for display: its own range stretched to 0..255 over all channels (the channel
    /// order swapped when the network takes BGR).</summary>
    /// <param name="rgba">Side²·4 bytes.</param>
    /// <param name="bgr">True when the network's input channels are B, G, R.</param>
    public void Render(Span<byte> rgba, bool bgr)
    {
        var plane = Side * Side;
        if (rgba.Length < plane * 4 || Channels < 3)
        {
            throw new ArgumentException($"a {Side}x{Side} RGBA picture of a 3-channel input needs {plane * 4} bytes", nameof(rgba));
        }

        float lo = float.MaxValue, hi = float.MinValue;
        for (var c = 0; c < 3; c++)
        {
            // Each channel relative to its own pixel range, so a picture of mean colour is mid grey.
            for (var i = 0; i < plane; i++)
            {
                var v = Unit(c, _image[(c * plane) + i]);
                (lo, hi) = (Math.Min(lo, v), Math.Max(hi, v));
            }
        }

        var scale = 255f / Math.Max(hi - lo, 1e-6f);
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                var source = bgr ? 2 - c : c;
                rgba[(i * 4) + c] = (byte)Math.Clamp(MathF.Round((Unit(source, _image[(source * plane) + i]) - lo) * scale), 0, 255);
            }

            rgba[(i * 4) + 3] = 255;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _program.Dispose();

    private float Unit(int channel, float v) => (v - _low[channel]) / (_high[channel] - _low[channel]);

    private float Objective()
    {
        _model.Read(_value, _values);
        if (_element is { } e)
        {
            return _values[e];
        }

        var shape = _model.ShapeOf(_value);
        var inner = shape.Product(2, shape.Rank);
        double sum = 0;
        for (var i = 0; i < inner; i++)
        {
            sum += _values[(_channel * inner) + i];
        }

        return (float)(sum / inner);
    }

    /// <summary>x ← clip((1 − decay)·x + step·range·g / mean|g|).</summary>
    private void Ascend()
    {
        double mean = 0;
        foreach (var g in _gradient)
        {
            mean += Math.Abs(g);
        }

        mean /= _gradient.Length;
        var plane = Side * Side;
        for (var c = 0; c < Channels; c++)
        {
            var step = mean > 0 && double.IsFinite(mean) ? (float)(StepFraction * (_high[c] - _low[c]) / mean) : 0f;
            for (var i = c * plane; i < (c + 1) * plane; i++)
            {
                var g = float.IsFinite(_gradient[i]) ? _gradient[i] : 0f;
                _image[i] = Math.Clamp(((1 - Decay) * _image[i]) + (step * g), _low[c], _high[c]);
            }
        }
    }

    /// <summary>A 3×3 binomial blur (σ ≈ 0.7 pixels) of each channel, edges clamped.</summary>
    private void Blur()
    {
        var n = Side;
        for (var c = 0; c < Channels; c++)
        {
            var plane = _image.AsSpan(c * n * n, n * n);
            var tmp = _shifted.AsSpan(c * n * n, n * n);
            for (var y = 0; y < n; y++)
            {
                for (var x = 0; x < n; x++)
                {
                    tmp[(y * n) + x] = (0.25f * plane[(y * n) + Math.Max(x - 1, 0)]) + (0.5f * plane[(y * n) + x]) + (0.25f * plane[(y * n) + Math.Min(x + 1, n - 1)]);
                }
            }

            for (var y = 0; y < n; y++)
            {
                for (var x = 0; x < n; x++)
                {
                    plane[(y * n) + x] = (0.25f * tmp[(Math.Max(y - 1, 0) * n) + x]) + (0.5f * tmp[(y * n) + x]) + (0.25f * tmp[(Math.Min(y + 1, n - 1) * n) + x]);
                }
            }
        }
    }

    /// <summary>Rolls every channel by (dx, dy) with wrap-around.</summary>
    private void Roll(float[] from, float[] to, int dx, int dy)
    {
        var n = Side;
        for (var c = 0; c < Channels; c++)
        {
            var o = c * n * n;
            for (var y = 0; y < n; y++)
            {
                var sy = (((y - dy) % n) + n) % n;
                for (var x = 0; x < n; x++)
                {
                    to[o + (y * n) + x] = from[o + (sy * n) + ((((x - dx) % n) + n) % n)];
                }
            }
        }
    }
}
