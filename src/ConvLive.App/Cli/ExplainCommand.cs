// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ConvLive.Capture;
using ConvLive.Engine.Backends;
using ConvLive.Engine.Devices;
using ConvLive.Engine.Explain;
using ConvLive.Engine.Graph;
using ConvLive.Engine.IO;
using ConvLive.Engine.Live;
using ConvLive.Engine.Models;
using ConvLive.Engine.Tensors;
using ConvLive.Render;

namespace ConvLive.App.Cli;

/// <summary><c>convlive explain</c>: why a model says what it says about one input, as gradients through the whole network.</summary>
internal static class ExplainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "An ONNX model file or a manifest name (resnet18-features, alexnet).", Required = true };
        var input = new Option<string>("--input") { Description = "The network input as an array (.npy, as infer takes it) or a picture (PNG, JPEG, …: preprocessed as in live).", Required = true };
        var classIndex = new Option<int?>("--class") { Description = "The class K whose score is explained: the first output at K, or the Softmax's input at K when the graph ends in Softmax. Default: the top class." };
        var method = new Option<string>("--method") { Description = "gradient (d score/d input), guided (guided backpropagation), deconv (the deconvnet rule) or gradcam (Grad-CAM).", DefaultValueFactory = _ => "gradient" };
        method.AcceptOnlyFromAmong([.. ExplainMethods.Names]);
        var layer = new Option<string?>("--layer") { Description = "Grad-CAM's value (default: the last convolution's activation)." };
        var unit = new Option<string?>("--unit") { Description = "VALUE:CHANNEL[@COLUMN,ROW]: explain the sum of one channel of a value (or its one unit at that position) instead of a class score." };
        var output = new Option<string>("--output") { Description = "Where to write the map (.npy, float32): the input's shape, or H'xW' of the layer for gradcam (raw, not normalised).", Required = true };
        var png = new Option<string?>("--png") { Description = "Also write the map as a heat overlay on the preprocessed input (PNG)." };
        var device = CommonOptions.Device();
        var command = new Command("explain", "Why the network says what it says: gradient saliency, guided backpropagation, deconvnet or Grad-CAM for one input.")
        {
            model, input, classIndex, method, layer, unit, output, png, device,
        };
        command.SetAction(r =>
        {
            _ = ExplainMethods.TryParse(r.GetValue(method)!, out var m); // AcceptOnlyFromAmong has checked the name
            return Run(new Request(r.GetValue(model)!, r.GetValue(input)!, r.GetValue(classIndex), m, r.GetValue(layer), r.GetValue(unit), r.GetValue(output)!, r.GetValue(png)), CommonOptions.ParseDevice(r.GetValue(device)!));
        });
        return command;
    }

    private static int Run(Request q, DeviceKind kind)
    {
        try
        {
            Litter.Sweep(Console.Error, false, Litter.FolderOf(q.Output), Litter.FolderOf(q.Png));
            var source = ModelSource.Resolve(q.Model, CommonOptions.Catalog());
            if (source.Graph.Inputs.Count(i => i.Type == ElementType.Float32) != 1)
            {
                throw new ModelException($"{q.Model}: explain takes models with one float input");
            }

            var (device, backend) = CommonOptions.OpenBackend(kind);
            using var ownedDevice = device;
            using var ownedBackend = backend;
            using var net = Forward(q, source, backend);
            var watch = Stopwatch.StartNew();
            using var explainer = Open(q, net);
            var shape = explainer.MapShape(q.Method);
            var map = new float[shape.Length];
            explainer.Compute(q.Method, map);
            var ms = watch.Elapsed.TotalMilliseconds;
            NpyFile.Write(q.Output, shape, map);
            var what = q.Unit is null ? $"class {ClassOf(q, net)} ('{explainer.Seed}')" : $"unit {q.Unit}";
            var where = q.Method == ExplainMethod.GradCam ? $" on '{explainer.CamLayer}'" : string.Empty;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ExplainMethods.Names[(int)q.Method]}{where} of {what}: {shape} -> {q.Output} ({ms:0.0} ms on {backend.Name})"));
            if (q.Png is not null)
            {
                WritePng(q, source, net, map, shape);
            }

            return 0;
        }
        catch (Exception e) when (e is ModelException or NpyException or DeviceUnavailableException or FrameSourceException or IOException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    /// <summary>Compiles the model for the input and runs it forward.</summary>
    private static CompiledModel Forward(Request q, ModelSource source, IBackend backend)
    {
        if (q.Input.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var x = NpyFile.Read(q.Input);
            var declared = source.Graph.Inputs.First(i => i.Type == ElementType.Float32);
            var name = declared.Name;
            if (declared.Dims is { } dims && dims.All(d => d is > 0) && !dims.Select(d => (int)d!.Value).SequenceEqual(x.Shape.Dims.ToArray()))
            {
                throw new ModelException($"{q.Input} is {x.Shape}; {q.Model} takes '{name}' of {string.Join('x', dims)} (give an .npy of that shape, or a picture, which is cropped and resized)");
            }

            var bad = Array.FindIndex(x.Data, v => !float.IsFinite(v));
            if (bad >= 0)
            {
                throw new ModelException($"{q.Input}: element {bad} is {(float.IsNaN(x.Data[bad]) ? "NaN" : x.Data[bad] > 0 ? "+infinity" : "-infinity")}; a network input must be finite (a NaN or an infinity would make every gradient NaN)");
            }

            var net = CompiledModel.Compile(source.Graph, backend, new Dictionary<string, TensorShape> { [name] = x.Shape });
            net.SetInput(name, x.Data);
            net.Run();
            return net;
        }

        var frame = ImageFile.Read(q.Input);
        var compiled = PictureInput.Compile(source, backend);
        try
        {
            PictureInput.Run(compiled, source, frame.Pixels, frame.Width, frame.Height);
            return compiled;
        }
        catch
        {
            compiled.Dispose();
            throw;
        }
    }

    private static Explainer Open(Request q, CompiledModel net)
    {
        if (q.Unit is { } text)
        {
            var unit = UnitSpec.Parse(text);
            var explainer = Explainer.ForUnit(net, unit.Value, unit.Channel, q.Layer);
            try
            {
                explainer.SetChannel(unit.Channel, unit.Position);
                return explainer;
            }
            catch
            {
                explainer.Dispose();
                throw;
            }
        }

        return Explainer.ForClass(net, ClassOf(q, net), q.Layer);
    }

    /// <summary>The requested class, or the top class of the first output.</summary>
    private static int ClassOf(Request q, CompiledModel net)
    {
        if (q.Class is { } k)
        {
            return k;
        }

        var output = net.Graph.Outputs[0].Name;
        var all = new float[net.ShapeOf(output).Length];
        net.Read(output, all);
        return Classification.ArgMax(all.AsSpan(0, all.Length / Math.Max(1, net.ShapeOf(output)[0])));
    }

    private static void WritePng(Request q, ModelSource source, CompiledModel net, float[] map, TensorShape shape)
    {
        var inputName = net.InputNames[0];
        var inputShape = net.ShapeOf(inputName);
        if (inputShape.Rank != 4 || inputShape[1] != 3)
        {
            throw new ModelException($"--png: the input '{inputName}' is {inputShape}, not a (1,3,H,W) picture");
        }

        var x = new float[inputShape.Length];
        net.Read(inputName, x);
        var bgr = string.Equals(source.Input.NetworkChannels ?? source.Input.Channels, "BGR", StringComparison.OrdinalIgnoreCase);
        int mapH = shape.Rank == 2 ? shape[0] : inputShape[2], mapW = shape.Rank == 2 ? shape[1] : inputShape[3];
        var rgba = HeatOverlay.Compose(x, inputShape[2], inputShape[3], bgr, map, mapH, mapW, Colormaps.Table("inferno"));
        Pictures.WritePng(q.Png!, rgba, inputShape[3], inputShape[2]);
        Console.WriteLine($"overlay -> {q.Png}");
    }

    private sealed record Request(string Model, string Input, int? Class, ExplainMethod Method, string? Layer, string? Unit, string Output, string? Png);
}
