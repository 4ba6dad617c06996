// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
using System.Globalization;
using ConvLive.App.Training;
using ConvLive.Engine.Onnx;
using Google.Protobuf;
using Onnx;
using Command = System.CommandLine.Command;

namespace ConvLive.App.Cli;

/// <summary>
/// <c>convlive save-drill</c> (hidden): saves samples and a model through the app's real save paths in a loop, so a
/// test can kill it at random moments and check that every file on disk is whole and no earlier sample is lost.
/// </summary>
internal static class SaveDrillCommand
{
    public static Command Create()
    {
        var folder = new Option<string>("--folder") { Description = "Where samples (FOLDER/drill/<n>.png) and FOLDER/head.onnx are written.", Required = true };
        var command = new Command("save-drill", "Reliability drill: write samples and a head model forever, printing each completed save.") { folder };
        command.Hidden = true;
        command.SetAction(r => Run(r.GetValue(folder)!));
        return command;
    }

    private static int Run(string root)
    {
        var store = new SampleStore(root, ["drill"]);
        var random = new Random();
        var pixels = new byte[160 * 120 * 3];
        for (var n = 0; ; n++)
        {
            random.NextBytes(pixels);
            var path = store.Add(0, pixels, 160, 120);
            if (!store.Flush(TimeSpan.FromSeconds(30)) || store.Failure is { } failure)
            {
                Console.Error.WriteLine($"error: sample save failed: {store.Failure}");
                return 1;
            }

            Console.WriteLine($"sample {Path.GetFileName(path)}");

            // A model of a random size (up to 4 MB), so kills land inside writes of different lengths.
            var model = new ModelProto { IrVersion = 7, Graph = new GraphProto { Name = n.ToString(CultureInfo.InvariantCulture) } };
            model.OpsetImport.Add(new OperatorSetIdProto { Version = 13 });
            var weights = new byte[random.Next(1, 1 << 22)];
            random.NextBytes(weights);
            model.Graph.Initializer.Add(new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom(weights) });
            model.Graph.Initializer[0].Dims.Add(weights.Length);
            model.Graph.Node.Add(new NodeProto { OpType = "Identity", Input = { "w" }, Output = { "y" } });
            ClassifierExport.Write(model, Path.Combine(root, "head.onnx"));
            Console.WriteLine($"model {n}");
        }
    }
}
