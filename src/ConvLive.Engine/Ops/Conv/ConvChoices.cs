// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConvLive.Engine.IO;
using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>One candidate's best time of three on a geometry.</summary>
/// <param name="Algorithm">Its name (<see cref="ConvPlan.Name"/>): direct, winograd, winograd2x2 or winograd-s2d.</param>
/// <param name="Ms">Milliseconds.</param>
public sealed record ConvTiming(string Algorithm, double Ms);

/// <summary>One convolution geometry's algorithm, chosen by timing each candidate on this machine.</summary>
/// <param name="Geometry">The geometry and thread count, as the cache file keys it.</param>
/// <param name="Algorithm">The chosen candidate's name: the fastest, or the direct GEMM where it is within
/// <see cref="ConvChoices.WinogradMargin"/> of the fastest.</param>
/// <param name="Timings">Every candidate's time, in the order timed.</param>
public sealed record ConvChoice(string Geometry, string Algorithm, IReadOnlyList<ConvTiming> Timings)
{
    /// <summary>Whether a Winograd form was chosen (else the direct GEMM).</summary>
    public bool Winograd => Algorithm != ConvPlan.Direct.Name;
}

/// <summary>How a convolution runs: the direct GEMM (<see cref="Tile"/> 0) or Winograd with m×m output tiles, its
/// passes fused per chunk of tiles or as four passes as <see cref="WinogradConv"/>'s rule says (null), or forced
/// (a "-fused" name written by hand, for comparisons); a strided layer's Winograd runs on its space-to-depth
/// rearrangement (<see cref="SpaceToDepthConv"/>).</summary>
/// <param name="Tile">0 (direct), 4 or 2.</param>
/// <param name="Fused">The fused pass, the four passes, or null: the rule.</param>
/// <param name="SpaceToDepth">Winograd F(4×4) on the strided layer's stride-1 form (<see cref="SpaceToDepthConv"/>).</param>
internal readonly record struct ConvPlan(int Tile, bool? Fused, bool SpaceToDepth = false)
{
    /// <summary>The direct GEMM.</summary>
    public static readonly ConvPlan Direct = new(0, null);

    /// <summary>Winograd F(4×4) on a strided layer's space-to-depth form.</summary>
    public static readonly ConvPlan Folded = new(WinogradConv.Tile4, null, true);

    /// <summary>The candidate's name in choices files and <c>bench</c>.</summary>
    public string Name => Tile == 0 ? "direct" : (Tile == 2 ? "winograd2x2" : "winograd") + (SpaceToDepth ? "-s2d" : string.Empty) + (Fused == true ? "-fused" : string.Empty);

    /// <summary>The plan a name stands for, or false for an unknown name (a damaged or newer file).</summary>
    /// <param name="name">direct, winograd, winograd2x2, winograd-s2d (a strided layer's space-to-depth form), or any
    /// Winograd name with "-fused" (the fused pass forced).</param>
    /// <param name="plan">The plan.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParse(string? name, out ConvPlan plan)
    {
        plan = name switch
        {
            "direct" => Direct,
            "winograd" => new(WinogradConv.Tile4, null),
            "winograd-fused" => new(WinogradConv.Tile4, true),
            "winograd2x2" => new(2, null),
            "winograd2x2-fused" => new(2, true),
            "winograd-s2d" => Folded,
            "winograd-s2d-fused" => Folded with { Fused = true },
            _ => new(-1, null),
        };
        return plan.Tile >= 0;
    }
}

/// <summary>
/// Which algorithm each convolution geometry that Winograd can compute (3×3 or 5×5, stride 1, ≥ 16 channels in and
/// out, or a strided layer whose space-to-depth form is one, <see cref="SpaceToDepthConv"/>) runs on this machine —
/// the direct GEMM, F(4×4, r×r), for 3×3 kernels F(2×2, 3×3), or F(4×4) on the space-to-depth form: timed the first
/// time the geometry is met (<see cref="TimeCandidates"/>) and kept —
/// in memory, and in a cache file when one is given, so later runs on the machine choose the same and give the
/// same bits (Winograd and direct differ by ~1e-5). Rules tuned on one machine choose wrongly on another: with
/// full-width 512-bit FMA units, a 14×14 or 7×7 layer's Winograd weights (4× the direct ones) cost more to stream
/// than the multiplies they save.
/// </summary>
/// <remarks>
/// Choices are shared by every backend of the process (two engines of one <c>bench</c> never differ), and keyed by
/// geometry and threads, not by the tiles' vector width: both widths give the same bits, so a machine keeps one
/// choice whichever it runs (the Windows build under Wine, which sees AVX2 only, reads the Linux build's). One
/// backend per thread; a cache file that cannot be read or written is ignored.
/// </remarks>
internal sealed class ConvChoices(string? file, CpuWorkers workers)
{
    private readonly int threads = workers.Size;
    private readonly FlushJob _flush = new();

    private static readonly object Lock = new();
    private static readonly Dictionary<string, ConvChoice> Process = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConvChoice> _choices = Load(file);
    private readonly Dictionary<ConvParams, ConvPlan> _known = [];
    private readonly List<ConvChoice> _made = [];

    /// <summary>The choices this backend used, in the order first met.</summary>
    public IReadOnlyList<ConvChoice> Made => _made;

    /// <summary>The choice for <paramref name="p"/> when one is known (from this run or the file); nothing allocated
    /// once it has been asked for.</summary>
    /// <param name="p">The geometry.</param>
    /// <param name="plan">How to run it.</param>
    /// <returns>False when the geometry has not been timed yet.</returns>
    public bool TryGet(ConvParams p, out ConvPlan plan)
    {
        p = p with { Relu = false };
        if (_known.TryGetValue(p, out plan))
        {
            return true;
        }

        // The file this backend was given first (what earlier runs chose), then what this process chose.
        var key = Key(p, threads);
        if (!_choices.TryGetValue(key, out var saved))
        {
            lock (Lock)
            {
                if (Process.TryGetValue(key, out saved))
                {
                    _choices[key] = Save(saved);
                }
            }
        }
        else
        {
            lock (Lock)
            {
                Process.TryAdd(key, saved);
            }
        }

        if (saved is null)
        {
            return false;
        }

        plan = Use(p, saved);
        return true;
    }

    /// <summary>Times each candidate on <paramref name="p"/> (<see cref="TimeCandidates"/>) and keeps the
    /// fastest.</summary>
    /// <param name="p">The geometry.</param>
    /// <param name="candidates">Each plan with a call that runs it once.</param>
    /// <returns>The fastest plan (or the one another backend of the process chose first).</returns>
    public ConvPlan Time(ConvParams p, IReadOnlyList<(ConvPlan Plan, Action Run)> candidates)
    {
        p = p with { Relu = false };
        var key = Key(p, threads);
        List<ConvTiming> timings;
        _flush.Buffer = FlushBuffer();
        try
        {
            var best = TimeCandidates(candidates.Select(c => c.Run).ToList(), Flush);
            timings = candidates.Select((c, i) => new ConvTiming(c.Plan.Name, best[i])).ToList();
        }
        finally
        {
            _flush.Buffer = [];
        }

        var made = new ConvChoice(key, Fastest(timings), timings);
        ConvChoice choice;
        lock (Lock)
        {
            choice = Process.TryGetValue(key, out var other) ? other : Save(made); // first in the process stands
            Process[key] = choice;
        }

        _choices[key] = choice;
        return Use(p, choice);
    }

    /// <summary>Winograd must beat the direct GEMM by this share to be chosen: the direct GEMM sums every product of
    /// the definition (a few ulps from the reference, not ~1e-5 of the spread) and its time in a forward is the more
    /// predictable (the weight-heavy Winograd forms ran slower in the forward than timed alone).</summary>
    internal const double WinogradMargin = 0.05;

    /// <summary>The fastest candidate's name, the direct GEMM unless a Winograd form beats it by
    /// <see cref="WinogradMargin"/>.</summary>
    internal static string Fastest(IReadOnlyList<ConvTiming> timings)
    {
        var fastest = timings.MinBy(t => t.Ms)!;
        var direct = timings.FirstOrDefault(t => t.Algorithm == ConvPlan.Direct.Name);
        return direct is not null && fastest != direct && direct.Ms <= fastest.Ms * (1 + WinogradMargin) ? direct.Algorithm : fastest.Algorithm;
    }

    /// <summary>Forgets every choice: this process's, and <paramref name="file"/>'s (emptied, atomically), so each
    /// geometry is timed again at its next use (<c>bench --retime</c>, after the machine or its load changed).</summary>
    /// <param name="file">The cache file, or null.</param>
    public static void Forget(string? file)
    {
        lock (Lock)
        {
            Process.Clear();
            try
            {
                if (file is not null && File.Exists(file))
                {
                    AtomicFile.WriteAllBytes(file, "[]\n"u8.ToArray());
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // As elsewhere, a cache that cannot be written is ignored: this process times again all the same
                // (its next choices may then not be saved either).
            }
        }
    }

    private ConvPlan Use(ConvParams p, ConvChoice choice)
    {
        var plan = ConvPlan.TryParse(choice.Algorithm, out var known) ? known : ConvPlan.Direct; // Load keeps only known names
        _known[p] = plan;
        _made.Add(choice);
        return plan;
    }

    /// <summary>Sweeps over the candidates at least, the second in the reverse order (more while a best time is not
    /// <see cref="Confirmed"/>).</summary>
    private const int Sweeps = 2;

    /// <summary>Timed runs of a candidate in each sweep, one after another.</summary>
    internal const int RunsPerSweep = 2;

    /// <summary>
    /// Each candidate's best time over at least <see cref="Sweeps"/> sweeps (up to <see cref="MaxSweeps"/> while one is
    /// not <see cref="Confirmed"/>): in each, a candidate runs once untimed (the first
    /// time, it packs or transforms its weights), then <see cref="RunsPerSweep"/> times, each with the caches emptied
    /// first: in a forward a layer's weights were last read a whole network ago, so they come from memory, and
    /// Winograd's transformed weights are 4× (F(4×4, 3×3)) or 1.8× (F(2×2, 3×3)) the direct ones. Timed warm, a
    /// 14×14×256 layer chose Winograd at 0.35 ms against 0.58 and then took 0.73 ms in the forward, where ONNX
    /// Runtime's direct one took 0.58. One sweep of three runs each let a burst of load on a shared host land on
    /// one candidate's runs alone: on a 2-core EPYC VM, AlexNet's 13×13×256 layer timed direct at 3.23 ms against
    /// 1.58 an hour before, and chose F(2×2). The candidates' runs still come one after another within a sweep: taking
    /// turns run by run timed ResNet-18's 7×7×512 direct GEMM at 2.36 ms against Winograd's 1.83, where in the
    /// forward the direct one was the faster (0.83 against 0.91× ONNX Runtime's time). Even so, that layer's direct
    /// time moved between processes on that VM (1.64 and 2.95 ms, Winograd 1.81 and 1.78), so its choice there
    /// depends on the minute it is first timed (<c>bench --retime</c> times it again).
    /// </summary>
    /// <param name="runs">Each candidate, run once per call.</param>
    /// <param name="flush">Empties the caches.</param>
    /// <param name="clock">Timestamps in <see cref="Stopwatch.Frequency"/> ticks (tests give a fake); null: the stopwatch.</param>
    /// <returns>Each candidate's best time, ms.</returns>
    internal static double[] TimeCandidates(IReadOnlyList<Action> runs, Action flush, Func<long>? clock = null)
    {
        clock ??= Stopwatch.GetTimestamp;
        var times = new List<double>[runs.Count];
        for (var i = 0; i < times.Length; i++)
        {
            times[i] = [];
        }

        for (var sweep = 0; sweep < Sweeps || (sweep < MaxSweeps && !times.All(Confirmed)); sweep++)
        {
            for (var k = 0; k < runs.Count; k++)
            {
                var i = sweep % 2 == 0 ? k : runs.Count - 1 - k;
                runs[i]();
                for (var r = 0; r < RunsPerSweep; r++)
                {
                    flush();
                    var start = clock();
                    runs[i]();
                    times[i].Add((clock() - start) * 1000.0 / Stopwatch.Frequency);
                }
            }
        }

        return times.Select(t => t.Min()).ToArray();
    }

    /// <summary>Sweeps at most (the first <see cref="Sweeps"/>, then more while a best time is not confirmed).</summary>
    private const int MaxSweeps = 6;

    /// <summary>
    /// Whether a candidate's best time is confirmed by another sweep: the two lowest of its sweeps' fastest runs lie
    /// within 10% (and 0.02 ms) of each other. A sweep's runs come one after another, so a burst of host load can slow
    /// (or a quiet moment speed) all of them alike, and two runs of one sweep agreeing says little: timed again in a
    /// busy minute of the Zen 3 VM, AlexNet's 5×5 conv2 had direct at 3.03 ms and Winograd at 3.19 and chose direct,
    /// where quieter minutes had timed 2.45 against 1.37. Unconfirmed, the sweeps go on (alternating direction, up to
    /// <see cref="MaxSweeps"/>). A minute that is slow for every sweep still passes: this catches a burst, not a
    /// host that stays busy (<c>bench --retime</c> times again).
    /// </summary>
    private static bool Confirmed(List<double> times)
    {
        double best = double.MaxValue, second = double.MaxValue;
        for (var sweep = 0; sweep + RunsPerSweep <= times.Count; sweep += RunsPerSweep)
        {
            var fastest = times.GetRange(sweep, RunsPerSweep).Min();
            (best, second) = fastest < best ? (fastest, best) : (best, Math.Min(second, fastest));
        }

        return second <= (best * 1.10) + 0.02;
    }

    /// <summary>Written before each timed run: more than the last-level cache of the machines this runs on (32 MB an
    /// EPYC core complex, 96 MB with 3D V-Cache).</summary>
    private const int FlushBytes = 128 << 20;

    /// <summary>The last flush buffer, held weakly: the geometries of one model are timed one after another in its first
    /// forward, and writing 128 MB afresh for each cost more than the flushes (a fresh ResNet-18 timing took ~1 s
    /// more than a kept one). Nothing else holds it, so it is garbage between timings, freed by the next full
    /// collection as each geometry's own buffer was before.</summary>
    private static readonly WeakReference<long[]> LastFlushBuffer = new(null!);

    private static long[] FlushBuffer()
    {
        lock (LastFlushBuffer)
        {
            if (LastFlushBuffer.TryGetTarget(out var kept))
            {
                return kept;
            }

            // Written once: pages never written would all read the one zero page, which flushes nothing.
            var buffer = GC.AllocateUninitializedArray<long>(FlushBytes / sizeof(long));
            Array.Fill(buffer, 1L);
            LastFlushBuffer.SetTarget(buffer);
            return buffer;
        }
    }

    /// <summary>The flush split between the workers, so each core's own caches are emptied too (the timed run uses
    /// them all). Where the cores share one L3 (this machine, desktop parts) it sees all 128 MB; on a part with several
    /// core complexes each complex's L3 sees its threads' share only (one thread writing it all, as before, emptied
    /// the caller's complex alone).</summary>
    private void Flush() => workers.For(FlushSlices, _flush);

    private const int FlushSlices = 64;

    /// <summary>Writes one word per 64-byte line of its slice: empties the workers' caches and the shared L3 of the timed
    /// layer's weights and leaves them full of dirty lines, as a forward leaves them (activations and scratch
    /// written by the layers before), so a layer that streams more weights also pays for writing those lines back.
    /// Read-only flushing left clean lines that cost nothing to evict, and the weight-heavy variants timed faster
    /// than they ran in the forward: 7×7×512 F(4×4) 0.83–0.88 ms against direct's 0.90–0.91 timed, 0.89–1.41
    /// against 0.81–0.92 in the forward (session 13).</summary>
    private sealed class FlushJob : IWorkItem
    {
        public long[] Buffer { get; set; } = [];

        public void Run(int item)
        {
            var buffer = Buffer;
            var slice = buffer.Length / FlushSlices;
            for (var i = item * slice; i < (item + 1) * slice; i += 8)
            {
                buffer[i]++;
            }
        }
    }

    /// <summary>The version of the kernels timed (and of how they are timed): raised whenever a tile, transform or
    /// the timing changes, so a file timed with older kernels is not trusted (its entries no longer match a key, and are timed again).</summary>
    internal const int KernelsVersion = 17;

    /// <summary>The geometry and threads, e.g. <c>1x256x14x14>256 g1 k3x3 s1x1 p1,1,1,1 d1x1 t2 v2</c>.</summary>
    internal static string Key(ConvParams p, int threads)
    {
        var w = p.Window;
        return string.Create(CultureInfo.InvariantCulture,
            $"{p.N}x{p.C}x{p.H}x{p.W}>{p.M} g{p.Groups} k{w.KernelH}x{w.KernelW} s{w.StrideH}x{w.StrideW} p{w.PadTop},{w.PadLeft},{w.PadBottom},{w.PadRight} d{w.DilationH}x{w.DilationW} t{threads} v{KernelsVersion}");
    }

    private static Dictionary<string, ConvChoice> Load(string? file)
    {
        var choices = new Dictionary<string, ConvChoice>(StringComparer.Ordinal);
        try
        {
            if (file is not null && File.Exists(file))
            {
                foreach (var c in JsonSerializer.Deserialize<List<ConvChoice>>(File.ReadAllBytes(file)) ?? [])
                {
                    if (Valid(c))
                    {
                        choices[c.Geometry] = c;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // A damaged or unreadable cache: time again (and rewrite it).
        }

        return choices;
    }

    /// <summary>Whether a choice read from a file can be run as it says: a known algorithm (a newer build's is timed
    /// again here), F(2×2) only on a 3×3 key (Winograd F(2×2, 3×3) has no 5×5 form), the space-to-depth form only on a
    /// strided key and the other Winograd forms only on a stride-1 one (a hand-edited file: timed again rather than
    /// run as something else), timings present.</summary>
    private static bool Valid(ConvChoice? c) =>
        c?.Geometry is { Length: > 0 } && ConvPlan.TryParse(c.Algorithm, out var plan) && (plan.Tile != 2 || c.Geometry.Contains(" k3x3 ", StringComparison.Ordinal)) &&
        (plan.Tile == 0 || plan.SpaceToDepth != c.Geometry.Contains(" s1x1 ", StringComparison.Ordinal)) &&
        c.Timings is not null && c.Timings.All(t => t?.Algorithm is not null);

    /// <summary>Adds <paramref name="choice"/> to the file, keeping what other processes wrote since it was read;
    /// returns the choice that stands (another process's, made first, wins: every run then agrees).</summary>
    private ConvChoice Save(ConvChoice choice)
    {
        if (file is null)
        {
            return choice;
        }

        try
        {
            var all = Load(file);
            if (!all.TryAdd(choice.Geometry, choice))
            {
                return all[choice.Geometry];
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            AtomicFile.WriteAllBytes(file, JsonSerializer.SerializeToUtf8Bytes(all.Values.OrderBy(c => c.Geometry, StringComparer.Ordinal).ToList(), Indented));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not kept for the next run; this run still uses it.
        }

        return choice;
    }

    // Geometries read as written ("1x64x56x56>64 …"), not with '>' escaped.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
