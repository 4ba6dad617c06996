// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>
/// Row-major single-precision GEMM, C = alpha·A·B + beta·C with A (M,K), B (K,N), C (M,N) and leading
/// dimensions lda/ldb/ldc. OpenBLAS's cblas_sgemm (Debian libopenblas0-pthread) when it loads; otherwise a
/// packed SIMD kernel of our own (<see cref="PackedGemm"/>: 6×16 register tile, FMA, bands of columns across the worker team).
/// </summary>
internal static unsafe partial class Sgemm
{
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const string BlasLibrary = "openblas"; // resolved to the file found (see BlasNames)
    private static nint _blas;

    /// <summary>The names OpenBLAS goes by: Debian's libopenblas0-pthread; on Windows the DLL of OpenBLAS's release
    /// zip (libopenblas.dll) or a conda/vcpkg build (openblas.dll), beside convlive.exe or on PATH.</summary>
    private static readonly string[] BlasNames = OperatingSystem.IsWindows() ? ["libopenblas.dll", "openblas.dll"]
        : OperatingSystem.IsMacOS() ? ["libopenblas.dylib", "libopenblas.0.dylib"] : ["libopenblas.so.0", "libopenblas.so"];

    private static readonly bool BlasLoaded = TryLoadBlas(); // after BlasNames: static fields start in this order
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int, int, int, int, int, int), bool> Choices = new();

    /// <summary>True when OpenBLAS is installed and loaded.</summary>
    public static bool BlasInstalled => BlasLoaded;

    /// <summary>The implementation a policy gets here, for benchmarks and logs.</summary>
    /// <param name="use">The policy.</param>
    /// <returns>A short description.</returns>
    public static string Describe(BlasUse use) => !BlasLoaded || use == BlasUse.Off ? "managed packed SIMD (6x16 FMA)"
        : use == BlasUse.Only ? "OpenBLAS cblas_sgemm" : "OpenBLAS cblas_sgemm or managed, tuned per shape";

    /// <summary>
    /// C = alpha·A·B + beta·C. The first call for a shape with beta = 0 times OpenBLAS against the managed kernel
    /// (each twice; both write the same C) and remembers the faster one for that shape: OpenBLAS's small-M and
    /// matrix-vector paths are slow here, our packed kernel is slower on others.
    /// </summary>
    public static void Multiply(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, CpuWorkers workers, BlasUse use = BlasUse.Auto)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (!BlasLoaded || use == BlasUse.Off)
        {
            Managed(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, workers);
            return;
        }

        var shape = (m, n, k, lda, ldb, ldc);
        if (use == BlasUse.Only)
        {
            Blas(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, workers);
            return;
        }

        if (!Choices.TryGetValue(shape, out var useBlas))
        {
            if (beta != 0f)
            {
                // C is read as well as written, so trial runs would accumulate: decide without timing.
                useBlas = n > 1;
            }
            else
            {
                long blasTicks = long.MaxValue, managedTicks = long.MaxValue;
                for (var trial = 0; trial < 2; trial++)
                {
                    var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    Blas(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, workers);
                    var t1 = System.Diagnostics.Stopwatch.GetTimestamp();
                    Managed(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, workers);
                    var t2 = System.Diagnostics.Stopwatch.GetTimestamp();
                    blasTicks = Math.Min(blasTicks, t1 - t0);
                    managedTicks = Math.Min(managedTicks, t2 - t1);
                }

                useBlas = blasTicks < managedTicks;
            }

            Choices[shape] = useBlas;
        }

        if (useBlas)
        {
            Blas(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, workers);
        }
        else
        {
            Managed(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, workers);
        }
    }

    /// <summary>The implementation chosen for a shape, once it has been seen; for benchmarks and logs.</summary>
    public static string ChosenFor(int m, int n, int k) =>
        !BlasLoaded ? "managed" : Choices.TryGetValue((m, n, k, k, n, n), out var blas) ? (blas ? "OpenBLAS" : "managed") : "not yet tuned";

    internal static void Managed(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, CpuWorkers workers)
    {
        if (n == 1)
        {
            var gemv = PackedGemm.GemvJob.For(m, k, alpha, a, lda, b, ldb, beta, c, ldc, Math.Max(1, workers.Size * 4));
            workers.For(gemv.Bands, gemv);
            return;
        }

        // Columns are cut into bands of whole 16-wide panels, one per worker; each band runs the packed GotoBLAS
        // loop nest on its own, so workers share nothing but A.
        var panels = (n + PackedGemm.NR - 1) / PackedGemm.NR;
        var bands = Math.Max(1, Math.Min(workers.Size, panels));
        var panelsPerBand = (panels + bands - 1) / bands;
        bands = (panels + panelsPerBand - 1) / panelsPerBand;
        workers.For(bands, PackedGemm.Job.For(new GemmCall(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), panelsPerBand * PackedGemm.NR));
    }

    private static bool TryLoadBlas()
    {
        try
        {
            foreach (var name in BlasNames)
            {
                if (NativeLibrary.TryLoad(name, typeof(Sgemm).Assembly, DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories | DllImportSearchPath.UseDllDirectoryForDependencies, out var handle)
                    || NativeLibrary.TryLoad(name, out handle))
                {
                    _blas = handle;
                    NativeLibrary.SetDllImportResolver(typeof(Sgemm).Assembly, (library, _, _) => library == BlasLibrary ? _blas : 0);
                    return Probe();
                }
            }

            return false;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or InvalidOperationException)
        {
            return false;
        }
    }

    private static bool Probe()
    {
        // OpenBLAS's own threads busy-wait after each call and would fight our worker team for the two cores;
        // run it single-threaded and give each worker a band of columns instead.
        OpenBlasSetNumThreads(1);
        float one = 1, two = 2, result = 0;
        CblasSgemm(RowMajor, NoTrans, NoTrans, 1, 1, 1, 1f, &one, 1, &two, 1, 0f, &result, 1);
        return result == 2f;
    }

    [LibraryImport(BlasLibrary, EntryPoint = "openblas_set_num_threads")]
    private static partial void OpenBlasSetNumThreads(int threads);

    /// <summary>OpenBLAS on bands, one per worker: bands of columns when C is wide, bands of rows when it is
    /// narrow (ResNet's last convolutions have 49 columns and 512 rows).</summary>
    private static void Blas(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, CpuWorkers workers)
    {
        var byRows = n < 64 * workers.Size && m >= 64;
        var bands = n >= 64 || byRows ? workers.Size : 1;
        if (bands == 1)
        {
            CblasSgemm(RowMajor, NoTrans, NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        workers.For(bands, BlasJob.For(new GemmCall(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), bands, byRows));
    }

    /// <summary>OpenBLAS on one band of columns per work item; kept per calling thread, so a call allocates nothing.</summary>
    private sealed class BlasJob : IWorkItem
    {
        [ThreadStatic]
        private static BlasJob? _cached;

        private GemmCall _call;
        private int _bands;
        private bool _byRows;

        public static BlasJob For(in GemmCall call, int bands, bool byRows)
        {
            var job = _cached ??= new BlasJob();
            job._call = call;
            job._bands = bands;
            job._byRows = byRows;
            return job;
        }

        public void Run(int band)
        {
            ref readonly var g = ref _call;
            if (_byRows)
            {
                var i0 = (int)((long)g.M * band / _bands);
                var i1 = (int)((long)g.M * (band + 1) / _bands);
                if (i1 > i0)
                {
                    CblasSgemm(RowMajor, NoTrans, NoTrans, i1 - i0, g.N, g.K, g.Alpha, g.A + ((long)i0 * g.Lda), g.Lda, g.B, g.Ldb, g.Beta, g.C + ((long)i0 * g.Ldc), g.Ldc);
                }

                return;
            }

            // Bands start on multiples of 16 columns so each keeps OpenBLAS's aligned panels.
            var width = (((g.N + _bands - 1) / _bands) + 15) / 16 * 16;
            var j0 = band * width;
            var j1 = Math.Min(g.N, j0 + width);
            if (j1 > j0)
            {
                CblasSgemm(RowMajor, NoTrans, NoTrans, g.M, j1 - j0, g.K, g.Alpha, g.A, g.Lda, g.B + j0, g.Ldb, g.Beta, g.C + j0, g.Ldc);
            }
        }
    }

    [LibraryImport(BlasLibrary, EntryPoint = "cblas_sgemm")]
    private static partial void CblasSgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);
}
