// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using ConvLive.App.Models;
using ConvLive.Engine.Models;

namespace ConvLive.App.Cli;

/// <summary><c>convlive models list</c> and <c>convlive models get NAME</c>.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var list = new Command("list", "The models ConvLive knows, where each is found, and how to get the missing ones.");
        list.SetAction(_ => List(CommonOptions.Catalog()));
        var name = new Argument<string>("name") { Description = "A model name from 'convlive models list', e.g. alexnet." };
        var folder = new Option<string?>("--folder") { Description = "Where to put it (default: the user's models folder)." };
        var get = new Command("get", "Download a model, show progress, verify its SHA-256; resumes after a dropped connection.") { name, folder };
        get.SetAction((r, cancel) => Get(CommonOptions.Catalog(), r.GetValue(name)!, r.GetValue(folder), cancel));
        var layout = new Argument<string>("layout") { Description = "alexnet-zoo (the ONNX model zoo's bvlcalexnet) or alexnet-tv (a torchvision export)." };
        layout.AcceptOnlyFromAmong("alexnet-zoo", "alexnet-tv");
        var output = new Option<string>("--out") { Description = "The .onnx file to write.", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the random weights.", DefaultValueFactory = _ => 1 };
        var width = new Option<double>("--width") { Description = "Channels as a share of AlexNet's, e.g. 0.125 for a small copy that runs quickly on ILGPU's CPU simulator (1: the real shapes).", DefaultValueFactory = _ => 1.0 };
        var seeded = new Command("seeded", "Write a full-size AlexNet with seeded random weights (same shapes, cost and names as the real one) for benchmarks where the pretrained weights are not at hand.")
        {
            layout, output, seed, width,
        };
        seeded.SetAction(r => WriteSeeded(r.GetValue(layout)!, r.GetValue(output)!, r.GetValue(seed), r.GetValue(width)));
        return new Command("models", "List and download models.") { list, get, seeded };
    }

    private static int WriteSeeded(string layout, string path, int seed, double width)
    {
        if (width is not (> 0 and <= 1))
        {
            Console.Error.WriteLine($"error: --width {width}: give a share of AlexNet's channels above 0 and at most 1, e.g. 0.125");
            return 2;
        }

        try
        {
            var model = layout == "alexnet-zoo" ? SeededAlexNet.Zoo(seed, width: width) : SeededAlexNet.Torchvision(seed, width: width);
            SeededAlexNet.Save(model, path);
            Console.WriteLine(width == 1
                ? $"{path}: {layout}, seeded weights (seed {seed}); its classes mean nothing, its speed is AlexNet's"
                : $"{path}: {layout} at {width:0.###} of AlexNet's channels, seeded weights (seed {seed}); its classes mean nothing");
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: cannot write {path}: {e.Message}");
            return 1;
        }
    }

    internal static int List(ModelCatalog catalog)
    {
        // A Spectre.Console table on a terminal; two plain lines a model in logs.
        var interactive = ConsoleProgress.Interactive;
        if (!interactive)
        {
            Console.WriteLine($"{"name",-22} {"present",-8} {"size",12}  description");
        }

        var rows = new List<IReadOnlyList<string>>();
        foreach (var m in catalog.Manifests)
        {
            var path = catalog.Locate(m.File);
            var size = m.Bytes is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b / 1e6:0.0} MB") : "-";
            var where = path is not null ? $"at {path}" : m.IsDownloadable ? $"get it: ./convlive models get {m.Name}" : $"put {m.File} in {catalog.Folders[^1]}";
            rows.Add([m.Name, path is null ? "no" : "yes", size, m.Description, where]);
            if (!interactive)
            {
                Console.WriteLine($"{m.Name,-22} {(path is null ? "no" : "yes"),-8} {size,12}  {m.Description}");
                Console.WriteLine($"{string.Empty,-22} {where}");
            }
        }

        if (interactive)
        {
            // One wide column for the name, what it is and where it is (a terminal is often 80 columns).
            var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle("models") };
            table.AddColumn("model");
            table.AddColumn(new TableColumn("present") { Alignment = Justify.Center });
            table.AddColumn(new TableColumn("size") { Alignment = Justify.Right });
            foreach (var r in rows)
            {
                var esc = Markup.Escape;
                table.AddRow($"[bold]{esc(r[0])}[/]\n[grey]{esc(r[3])}[/]\n{esc(r[4])}", r[1] == "yes" ? "[green]yes[/]" : "[yellow]no[/]", esc(r[2]));
            }

            AnsiConsole.Write(table);
        }

        Console.WriteLine($"models folders: {string.Join(", ", catalog.Folders)}");
        return 0;
    }

    internal static async Task<int> Get(ModelCatalog catalog, string name, string? folder, CancellationToken cancel)
    {
        var manifest = catalog.Find(name);
        if (manifest is null)
        {
            await Console.Error.WriteLineAsync($"error: no model named '{name}'; known: {string.Join(", ", catalog.Manifests.Select(m => m.Name))}").ConfigureAwait(false);
            return 2;
        }

        var target = folder ?? CommonOptions.UserModelsFolder();
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) }) { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            var path = await ConsoleProgress.DownloadAsync(manifest.File, manifest.Bytes,
                bytes => new ModelDownloader(http, Console.Error, bytes).GetAsync(manifest, target, cancel),
                () => new ModelDownloader(http, Console.Error).GetAsync(manifest, target, cancel)).ConfigureAwait(false);
            Console.WriteLine($"{manifest.Name}: {path} (SHA-256 verified)");
            return 0;
        }
        catch (DownloadException e)
        {
            await Console.Error.WriteLineAsync($"error: {manifest.Name}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
