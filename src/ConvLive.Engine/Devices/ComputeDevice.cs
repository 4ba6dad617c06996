// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ConvLive.Engine.Backends.Cpu;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using ILGPU.Algorithms;

namespace ConvLive.Engine.Devices;

/// <summary>
/// An opened compute device: either an ILGPU accelerator with its own stream, or the SIMD CPU backend.
/// </summary>
/// <remarks>
/// Owns the ILGPU <see cref="Context"/>, <see cref="Accelerator"/> and <see cref="Stream"/> when it has them;
/// disposing it releases all three. Members are not thread safe: one thread drives a device at a time.
/// </remarks>
public sealed class ComputeDevice : IDisposable
{
    private readonly Context? _context;
    private bool _disposed;

    private ComputeDevice(DeviceKind kind, string name, Context? context, Accelerator? accelerator, int threads = 0)
    {
        Kind = kind;
        Name = name;
        _context = context;
        Accelerator = accelerator;
        Stream = accelerator?.CreateStream();
        Workers = accelerator is null ? new CpuWorkers(CpuThreads(threads)) : null;
    }

    /// <summary>The concrete kind opened: never <see cref="DeviceKind.Auto"/> or <see cref="DeviceKind.Ilgpu"/>.</summary>
    public DeviceKind Kind { get; }

    /// <summary>A human-readable name, e.g. <c>cpu (AVX-512, 2 threads)</c> or <c>cuda (NVIDIA H100)</c>.</summary>
    public string Name { get; }

    /// <summary>The ILGPU accelerator, or null for <see cref="DeviceKind.Cpu"/>. Owned by this device.</summary>
    public Accelerator? Accelerator { get; }

    /// <summary>The stream every launch of this device goes on, or null for the CPU backend. Owned by this device.</summary>
    public AcceleratorStream? Stream { get; }

    /// <summary>The CPU backend's worker threads, or null on ILGPU devices. Owned by this device.</summary>
    public CpuWorkers? Workers { get; }

    /// <summary>True when this device runs ILGPU kernels.</summary>
    public bool IsIlgpu => Accelerator is not null;

    /// <summary>
    /// Opens the device <paramref name="requested"/> names. <see cref="DeviceKind.Auto"/> takes the fastest that
    /// works (CUDA, OpenCL, then the SIMD CPU backend); <see cref="DeviceKind.Ilgpu"/> takes the best ILGPU
    /// accelerator (CUDA, OpenCL, then ILGPU's CPU accelerator).
    /// </summary>
    /// <param name="requested">The kind asked for on the command line.</param>
    /// <param name="log">Receives one line per device tried and not taken, with the reason; may be null.</param>
    /// <param name="threads">Worker threads when the device is the CPU backend (<see cref="Backends.BackendOptions.Threads"/>); 0 for every core.</param>
    /// <returns>The opened device; the caller owns it.</returns>
    /// <exception cref="DeviceUnavailableException">An explicit kind that is not available here.</exception>
    public static ComputeDevice Open(DeviceKind requested, Action<string>? log = null, int threads = 0)
    {
        switch (requested)
        {
            case DeviceKind.Cpu:
                return OpenCpu(threads);
            case DeviceKind.Cuda:
                return TryOpenCuda(out var cuda, out var cudaWhy) ? cuda
                    : throw new DeviceUnavailableException($"--device cuda: {cudaWhy}. Use --device auto or --device cpu.");
            case DeviceKind.OpenCL:
                return TryOpenOpenCL(out var cl, out var clWhy) ? cl
                    : throw new DeviceUnavailableException($"--device opencl: {clWhy}. Use --device auto or --device cpu.");
            case DeviceKind.IlgpuCpu:
                return OpenIlgpuCpu();
            case DeviceKind.Auto:
            case DeviceKind.Ilgpu:
                if (TryOpenCuda(out var gpu, out var why))
                {
                    return gpu;
                }

                log?.Invoke($"cuda not taken: {why}");
                if (TryOpenOpenCL(out gpu, out why))
                {
                    return gpu;
                }

                log?.Invoke($"opencl not taken: {why}");
                return requested == DeviceKind.Auto ? OpenCpu(threads) : OpenIlgpuCpu();
            default:
                throw new ArgumentOutOfRangeException(nameof(requested), requested, "unknown device kind");
        }
    }

    /// <summary>Threads the CPU backend uses: <paramref name="requested"/> when positive (at most the core count;
    /// 1 leaves a core to the display on small machines), else every core.</summary>
    /// <param name="requested">The thread count asked for, or 0.</param>
    /// <returns>The thread count.</returns>
    public static int CpuThreads(int requested = 0) => requested > 0 ? Math.Min(requested, Environment.ProcessorCount) : Environment.ProcessorCount;

    /// <summary>Describes the SIMD width the CPU backend uses here, e.g. <c>AVX-512</c>.</summary>
    /// <returns>The widest hardware-accelerated vector width as a short name.</returns>
    public static string CpuSimdName() =>
        Vector512.IsHardwareAccelerated ? "AVX-512"
        : Avx512F.IsSupported ? "AVX-512 CPU, 256-bit vectors"
        : Vector256.IsHardwareAccelerated ? "AVX2"
        : Vector128.IsHardwareAccelerated ? "SSE/NEON"
        : "scalar";

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Workers?.Dispose();
        Stream?.Dispose();
        Accelerator?.Dispose();
        _context?.Dispose();
    }

    private static ComputeDevice OpenCpu(int threads) =>
        new(DeviceKind.Cpu, $"cpu ({CpuSimdName()}, {CpuThreads(threads)} threads)", null, null, threads);

    // One simulated multiprocessor per core, so the simulator at least uses the whole machine.
    private static ComputeDevice OpenIlgpuCpu() => OpenIlgpuCpu(threadsPerWarp: 4, warpsPerGroup: 4);

    /// <summary>ILGPU's CPU simulator shaped as asked, e.g. like a GPU (32 threads a warp, 8 warps a group: the
    /// kernels then launch with the tiles and warps they get on CUDA). Each simulated multiprocessor runs a thread per
    /// thread of a group.</summary>
    /// <param name="threadsPerWarp">Threads of a simulated warp.</param>
    /// <param name="warpsPerGroup">Warps of a simulated multiprocessor, so threads a group can have at most.</param>
    /// <param name="multiprocessors">Simulated multiprocessors; 0 for one per core.</param>
    /// <returns>The opened device; the caller owns it.</returns>
    internal static ComputeDevice OpenIlgpuCpu(int threadsPerWarp, int warpsPerGroup, int multiprocessors = 0)
    {
        var simulated = new CPUDevice(threadsPerWarp, warpsPerGroup, multiprocessors > 0 ? multiprocessors : Environment.ProcessorCount);
        var context = Context.Create(b => b.CPU(simulated).EnableAlgorithms().Optimize(OptimizationLevel.O1));
        try
        {
            var accelerator = context.CreateCPUAccelerator(0);
            return new ComputeDevice(DeviceKind.IlgpuCpu, $"ilgpu-cpu ({accelerator.NumMultiprocessors} simulated multiprocessors, {accelerator.MaxNumThreadsPerGroup} threads a group)", context, accelerator);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    private static bool TryOpenCuda(out ComputeDevice device, out string why) =>
        TryOpenGpu(DeviceKind.Cuda, b => b.Cuda(), c => c.GetCudaDevices().Count, c => c.CreateCudaAccelerator(0),
            "no CUDA device or driver found", "the CUDA driver", out device, out why);

    private static bool TryOpenOpenCL(out ComputeDevice device, out string why) =>
        TryOpenGpu(DeviceKind.OpenCL, b => b.OpenCL(), c => c.GetCLDevices().Count, c => c.CreateCLAccelerator(0),
            "no OpenCL device that ILGPU accepts (it needs OpenCL 2.0+, or 3.0 with the generic address space)",
            "the OpenCL runtime", out device, out why);

    private static bool TryOpenGpu(
        DeviceKind kind,
        Func<Context.Builder, Context.Builder> enable,
        Func<Context, int> countDevices,
        Func<Context, Accelerator> createFirst,
        string noneFound,
        string runtimeName,
        out ComputeDevice device,
        out string why)
    {
        device = null!;
        Context? context = null;
        try
        {
            context = Context.Create(b => enable(b).EnableAlgorithms().Optimize(OptimizationLevel.O2));
            if (countDevices(context) == 0)
            {
                why = noneFound;
                context.Dispose();
                return false;
            }

            var accelerator = createFirst(context);
            device = new ComputeDevice(kind, $"{kind.ToName()} ({accelerator.Name})", context, accelerator);
            why = string.Empty;
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            context?.Dispose();
            why = $"{runtimeName} failed to start ({e.GetType().Name}: {e.Message})";
            return false;
        }
    }
}
