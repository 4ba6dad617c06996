// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Globalization;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Teaching;
using ConvLive.Engine.Vision;
using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>
/// The kernels view's setting: changed by keys on the render thread, published as one immutable
/// <see cref="KernelViewSettings"/> the inference thread reads each frame (a new object only on a key press).
/// </summary>
internal sealed class KernelControls
{
    private static readonly (int Size, int Stride)[] PoolShapes = [(2, 2), (3, 2), (3, 3), (4, 4)];
    private static readonly int[] Shifts = [0, 1, 2, 4, 8];
    private static readonly int[] BlurSizes = [3, 5, 7, 9];
    private readonly List<Kernel2D> _kernels;
    private int _kernel;
    private int _stride = 1;
    private int _padding = 1;
    private bool _convolution;
    private int _activation;
    private int _pool;
    private int _poolShape;
    private int _blur;
    private bool _magnitude;
    private int _shift;
    private volatile KernelViewSettings _current = null!;

    public KernelControls(IReadOnlyList<Kernel2D> custom)
    {
        _kernels = [.. Kernel2D.Named, .. custom];
        Publish();
    }

    public KernelViewSettings Current => _current;

    /// <summary>What the keys do, for the view's help line.</summary>
    public static IReadOnlyList<string> Help { get; } =
    [
        "C or 1-9 kernel   Up/Down stride   Left/Right padding   V convolution/correlation   A activation",
        "O pooling   K pool size/stride   B blur size   G gradient magnitude   E shift input   click the map: receptive field",
    ];

    public bool OnKey(KeyPress key)
    {
        if (key.Code is >= (int)Key.D1 and <= (int)Key.D9 && key.Code - (int)Key.D1 < _kernels.Count)
        {
            _kernel = key.Code - (int)Key.D1;
            return Publish();
        }

        switch (key.Key)
        {
            case Key.C when !key.IsRepeat:
                _kernel = (_kernel + 1) % _kernels.Count;
                return Publish();
            case Key.Up:
                _stride = Math.Min(_stride + 1, 8);
                return Publish();
            case Key.Down:
                _stride = Math.Max(_stride - 1, 1);
                return Publish();
            case Key.Right:
                _padding = Math.Min(_padding + 1, 8);
                return Publish();
            case Key.Left:
                _padding = Math.Max(_padding - 1, 0);
                return Publish();
            case Key.V when !key.IsRepeat:
                _convolution = !_convolution;
                return Publish();
            case Key.A when !key.IsRepeat:
                _activation = (_activation + 1) % 3;
                return Publish();
            case Key.O when !key.IsRepeat:
                _pool = (_pool + 1) % 4;
                return Publish();
            case Key.K when !key.IsRepeat:
                _poolShape = (_poolShape + 1) % PoolShapes.Length;
                return Publish();
            case Key.B when !key.IsRepeat:
                _blur = (_blur + 1) % BlurSizes.Length;
                return Publish();
            case Key.G when !key.IsRepeat:
                _magnitude = !_magnitude;
                return Publish();
            case Key.E when !key.IsRepeat:
                _shift = (_shift + 1) % Shifts.Length;
                return Publish();
            default:
                return false;
        }
    }

    /// <summary>One line naming the setting.</summary>
    public static string Describe(KernelViewSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var f = s.Filter;
        var kernel = s.Partner is { } p ? $"|({f.Kernel.Name}, {p.Name})| gradient magnitude {f.Kernel.Size}x{f.Kernel.Size}" : f.Kernel.ToString();
        var mode = f.Convolution ? "convolution (kernel flipped)" : "cross-correlation";
        var activation = f.Activation switch { ActivationKind.Relu => "ReLU", ActivationKind.Tanh => "tanh", _ => "no activation" };
        var pool = f.Pool is { } kind ? string.Create(CultureInfo.InvariantCulture, $"{kind.ToString().ToLowerInvariant()} pool {f.PoolSize}x{f.PoolSize}/{f.PoolStride}") : "no pooling";
        var shift = s.Shift > 0 ? $", input shifted {s.Shift} px" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{kernel}, {mode}, stride {f.Stride}, padding {f.Padding}, {activation}, {pool}{shift}");
    }

    private static Kernel2D? PartnerOf(Kernel2D k) =>
        ReferenceEquals(k, Kernel2D.Vertical) ? Kernel2D.Horizontal
        : ReferenceEquals(k, Kernel2D.Horizontal) ? Kernel2D.Vertical
        : ReferenceEquals(k, Kernel2D.SobelX) ? Kernel2D.SobelY
        : ReferenceEquals(k, Kernel2D.SobelY) ? Kernel2D.SobelX
        : null;

    private bool Publish()
    {
        var kernel = _kernels[_kernel];
        if (ReferenceEquals(kernel, Kernel2D.Blur))
        {
            kernel = Kernel2D.Gaussian(BlurSizes[_blur]);
        }

        var (poolSize, poolStride) = PoolShapes[_poolShape];
        var filter = new FilterSettings(
            kernel,
            _stride,
            _padding,
            _convolution,
            _activation switch { 1 => ActivationKind.Relu, 2 => ActivationKind.Tanh, _ => null },
            _pool switch { 1 => PoolKind.Max, 2 => PoolKind.Average, 3 => PoolKind.L2, _ => null },
            poolSize,
            poolStride);
        _current = new KernelViewSettings(filter, _magnitude ? PartnerOf(kernel) : null, Shifts[_shift]);
        return true;
    }
}
