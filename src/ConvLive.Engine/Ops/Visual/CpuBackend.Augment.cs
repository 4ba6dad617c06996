// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>Augmented views of a frame for training.</summary>
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Augment(DeviceTensor y, int item, DeviceBytes bgr, PreprocessParams p, AugmentView view)
    {
        var plane = 3 * p.Size * p.Size;
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        if ((item + 1) * plane > y.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(item), $"item {item} of 3x{p.Size}x{p.Size} is past the end of a tensor of {y.Length} values");
        }

        _augment.Set(Cast(y).Data, item * plane, CastBytes(bgr).Data, p, view);
        _workers.For(p.Size, _augment);
    }

    /// <summary>One output row (all three channels) per work item.</summary>
    private sealed class AugmentJob : IWorkItem
    {
        private float[] _y = [];
        private byte[] _frame = [];
        private int _offset;
        private PreprocessParams _p;
        private AugmentView _v;

        public void Set(float[] y, int offset, byte[] frame, PreprocessParams p, AugmentView v) => (_y, _offset, _frame, _p, _v) = (y, offset, frame, p, v);

        public void Run(int oy)
        {
            var p = _p;
            var v = _v;
            var s = p.Size;
            var taps = v.Blur > 0 ? 1 : 0;
            var w1 = v.Blur > 0 ? MathF.Exp(-1f / (2f * v.Blur * v.Blur)) : 0f;
            var w2 = w1 * w1;
            Span<float> rgb = stackalloc float[3];
            for (var ox = 0; ox < s; ox++)
            {
                rgb.Clear();
                var total = 0f;
                for (var dy = -taps; dy <= taps; dy++)
                {
                    for (var dx = -taps; dx <= taps; dx++)
                    {
                        var w = dx == 0 && dy == 0 ? 1f : dx == 0 || dy == 0 ? w1 : w2;
                        float cx = ox + dx + 0.5f, cy = oy + dy + 0.5f;
                        var sx = Math.Clamp((v.M00 * cx) + (v.M01 * cy) + v.M02 - 0.5f, 0f, p.FrameWidth - 1);
                        var sy = Math.Clamp((v.M10 * cx) + (v.M11 * cy) + v.M12 - 0.5f, 0f, p.FrameHeight - 1);
                        int x0 = (int)sx, y0 = (int)sy;
                        int x1 = Math.Min(x0 + 1, p.FrameWidth - 1), y1 = Math.Min(y0 + 1, p.FrameHeight - 1);
                        float fx = sx - x0, fy = sy - y0;
                        int a = ((y0 * p.FrameWidth) + x0) * 3, b = ((y0 * p.FrameWidth) + x1) * 3;
                        int c = ((y1 * p.FrameWidth) + x0) * 3, d = ((y1 * p.FrameWidth) + x1) * 3;
                        for (var ch = 0; ch < 3; ch++)
                        {
                            var k = 2 - ch; // the frame is BGR; rgb[0] is red
                            var top = _frame[a + k] + ((_frame[b + k] - _frame[a + k]) * fx);
                            var bottom = _frame[c + k] + ((_frame[d + k] - _frame[c + k]) * fx);
                            rgb[ch] += w * (top + ((bottom - top) * fy));
                        }

                        total += w;
                    }
                }

                var grey = ((0.299f * rgb[0]) + (0.587f * rgb[1]) + (0.114f * rgb[2])) / total;
                for (var ch = 0; ch < 3; ch++)
                {
                    var value = rgb[ch] / total;
                    value = grey + (v.Saturation * (value - grey));
                    value = 128f + (v.Contrast * (value - 128f));
                    value = Math.Clamp(value * v.Brightness, 0f, 255f);
                    var outC = p.Bgr ? 2 - ch : ch;
                    var (mean, std) = outC switch { 0 => (p.Mean0, p.Std0), 1 => (p.Mean1, p.Std1), _ => (p.Mean2, p.Std2) };
                    _y[_offset + (outC * s * s) + (oy * s) + ox] = ((value * p.Scale) - mean) / std;
                }
            }
        }
    }
}
