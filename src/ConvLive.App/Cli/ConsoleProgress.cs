// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace ConvLive.App.Cli;

/// <summary>
/// Progress of a long step and tables: Spectre.Console's bar (with the rate and the time left) and tables on a
/// terminal; on redirected output (CI logs, files, tests) a plain indented line at most every five seconds, and
/// plain text tables, so logs stay readable and parsable.
/// </summary>
internal static class ConsoleProgress
{
    private static readonly TimeSpan PlainEvery = TimeSpan.FromSeconds(5);

    /// <summary>True when standard output is a terminal Spectre.Console can redraw.</summary>
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="work"/>, which reports (done, detail) as it goes, under a bar titled <paramref name="title"/>.</summary>
    /// <typeparam name="T">What the work returns.</typeparam>
    /// <param name="title">What is being done ("features", "epoch").</param>
    /// <param name="total">Units of work (0 or less: not known).</param>
    /// <param name="work">The work; it calls its argument with the units done and an optional detail.</param>
    /// <returns>What the work returned.</returns>
    public static T Run<T>(string title, int total, Func<Action<int, string?>, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Interactive)
        {
            T result = default!;
            AnsiConsole.Progress()
                .AutoClear(true)
                .HideCompleted(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(title), maxValue: Math.Max(1, total));
                    task.IsIndeterminate = total <= 0; // a camera: no end known
                    result = work((done, detail) =>
                    {
                        task.Value = done;
                        if (detail is not null)
                        {
                            task.Description = Markup.Escape($"{title} {detail}");
                        }
                    });
                    task.Value = task.MaxValue;
                });
            return result;
        }

        var clock = Stopwatch.StartNew();
        var next = PlainEvery;
        return work((done, detail) =>
        {
            if (clock.Elapsed >= next && (done < total || total <= 0))
            {
                next = clock.Elapsed + PlainEvery;
                var of = total > 0 ? string.Create(CultureInfo.InvariantCulture, $"/{total}") : string.Empty;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {title}: {done}{of}{(detail is null ? string.Empty : " " + detail)} ({clock.Elapsed.TotalSeconds:0} s)"));
            }
        });
    }

    /// <summary>A download under a bar with bytes, speed and time left on a terminal (<paramref name="withBar"/> gets
    /// the callback that moves it); in logs <paramref name="plain"/>, which writes its own lines.</summary>
    /// <typeparam name="T">What the download returns.</typeparam>
    /// <param name="title">The file's name.</param>
    /// <param name="bytes">Its size when known.</param>
    /// <param name="withBar">The download reporting (bytes so far, total when known).</param>
    /// <param name="plain">The download without a bar.</param>
    /// <returns>What the download returned.</returns>
    public static async Task<T> DownloadAsync<T>(string title, long? bytes, Func<Action<long, long?>, Task<T>> withBar, Func<Task<T>> plain)
    {
        ArgumentNullException.ThrowIfNull(withBar);
        ArgumentNullException.ThrowIfNull(plain);
        if (!Interactive)
        {
            return await plain().ConfigureAwait(false);
        }

        return await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn { Culture = CultureInfo.InvariantCulture }, new TransferSpeedColumn { Culture = CultureInfo.InvariantCulture }, new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: Math.Max(1, bytes ?? 1));
                task.IsIndeterminate = bytes is null;
                var result = await withBar((have, total) =>
                {
                    if (total is > 0)
                    {
                        (task.MaxValue, task.IsIndeterminate) = (total.Value, false);
                    }

                    task.Value = have;
                }).ConfigureAwait(false);
                task.Value = task.MaxValue;
                return result;
            }).ConfigureAwait(false);
    }

    /// <summary>A table: a Spectre.Console table on a terminal, else plain right-aligned columns.</summary>
    /// <param name="title">The caption.</param>
    /// <param name="header">Column headings (the first is the row names').</param>
    /// <param name="rows">Cells, row by row.</param>
    public static void Table(string title, IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        if (Interactive)
        {
            var table = new Table { Title = new TableTitle(Markup.Escape(title)), Border = TableBorder.Rounded };
            for (var c = 0; c < header.Count; c++)
            {
                // Figures to the right, words to the left.
                var numeric = c > 0 && rows.All(r => r[c] == "n/a" || r[c].All(ch => char.IsAsciiDigit(ch) || ch is '.' or ',' or '%' or '-' or '+' or 'x'));
                table.AddColumn(new TableColumn(Markup.Escape(header[c])) { Alignment = numeric ? Justify.Right : Justify.Left });
            }

            foreach (var row in rows)
            {
                table.AddRow(row.Select(Markup.Escape).ToArray());
            }

            AnsiConsole.Write(table);
            return;
        }

        Console.WriteLine(title + ":");
        var width = Math.Max(6, rows.Select(r => r[0].Length).Append(header[0].Length).Max() + 1);
        var cell = Math.Max(width, header.Skip(1).Select(h => h.Length + 1).DefaultIfEmpty(0).Max());
        Console.WriteLine(header[0].PadRight(width) + string.Concat(header.Skip(1).Select(h => h.PadLeft(cell))));
        foreach (var row in rows)
        {
            Console.WriteLine(row[0].PadRight(width) + string.Concat(row.Skip(1).Select(v => v.PadLeft(cell))));
        }
    }
}
