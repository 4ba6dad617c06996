// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends;

/// <summary>Whether the CPU backend hands matrix products to OpenBLAS.</summary>
public enum BlasUse
{
    /// <summary>OpenBLAS or the managed kernel, whichever is faster for each shape (timed on first use); managed
    /// alone when OpenBLAS is not installed.</summary>
    Auto,

    /// <summary>The managed packed kernel only.</summary>
    Off,

    /// <summary>OpenBLAS for every product it is installed for (benchmarks).</summary>
    Only,
}

/// <summary>
/// How a backend runs, fixed when it is created (<see cref="Backend.Create"/>): nothing in the engine reads the
/// environment or a static switch for these. An option the device cannot honour is reported once, at creation.
/// </summary>
public sealed record BackendOptions
{
    /// <summary>The defaults: every core, fp32 weights, automatic algorithm choices, OpenBLAS where it pays.</summary>
    public static BackendOptions Default { get; } = new();

    /// <summary>CPU worker threads (cpu device only; given to <see cref="Devices.ComputeDevice.Open"/>); 0 for every core.</summary>
    public int Threads { get; init; }

    /// <summary>How the cpu backend keeps constant fully connected weights for batch-1 products.</summary>
    public WeightPrecision FullyConnectedWeights { get; init; } = WeightPrecision.Float32;

    /// <summary>Which convolution algorithm the cpu backend uses.</summary>
    public ConvAlgorithm ConvAlgorithm { get; init; } = ConvAlgorithm.Auto;

    /// <summary>Whether the cpu backend uses OpenBLAS.</summary>
    public BlasUse Blas { get; init; } = BlasUse.Auto;

    /// <summary>The widest vectors the cpu backend's convolution tiles use: 0 for the widest accelerated here (512
    /// bits where AVX-512 is), 256 for the AVX2 tiles on any machine (<c>CONVLIVE_VECTOR_BITS=256</c>; tests
    /// and comparisons).</summary>
    public int VectorBits { get; init; }

    /// <summary>Where the cpu backend keeps the convolution algorithms it chose by timing (<see cref="ConvAlgorithm.Auto"/>),
    /// so later runs on this machine choose the same; null: chosen again by every backend.</summary>
    public string? ConvChoicesFile { get; init; }

    /// <summary>Whether the cpu backend runs its 512-bit convolution tiles.</summary>
    public bool WideTiles => VectorBits is 0 or >= 512 && Cpu.ConvTile.WideAvailable;
}
