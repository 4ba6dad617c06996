// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using OpenCvSharp;
using OpenCvSharp.Dnn;

namespace ConvLive.Capture;

/// <summary>OpenCV's DNN module running an ONNX model: a peer for <c>bench</c>, kept beside the app's other OpenCV use.</summary>
/// <remarks>Owns the network and its input blob.</remarks>
public sealed class OpenCvDnnNet : IDisposable
{
    private readonly Net _net;
    private readonly Mat _blob;
    private readonly string _inputName;

    private OpenCvDnnNet(Net net, Mat blob, string inputName) => (_net, _blob, _inputName) = (net, blob, inputName);

    /// <summary>Loads <paramref name="modelPath"/> with <paramref name="input"/> (dims) as its input, on every core.</summary>
    /// <returns>The network, or null with the reason when OpenCV cannot import the file.</returns>
    public static OpenCvDnnNet? TryLoad(string modelPath, string inputName, int[] dims, float[] input, out string? why)
    {
        if (OpenCvLibrary.Missing("OpenCV DNN") is { } missing)
        {
            why = missing;
            return null;
        }

        try
        {
            Cv2.SetNumThreads(Environment.ProcessorCount);
            var net = CvDnn.ReadNetFromOnnx(modelPath) ?? throw new InvalidDataException("OpenCV DNN returned no network");
            why = null;
            return new OpenCvDnnNet(net, Mat.FromPixelData(dims, MatType.CV_32F, input), inputName);
        }
        catch (Exception e) when (e is OpenCVException or InvalidDataException)
        {
            why = e.Message.Split('\n')[0].Trim();
            return null;
        }
    }

    /// <summary>One forward pass on the input given at load.</summary>
    public void Forward()
    {
        _net.SetInput(_blob, _inputName);
        using var result = _net.Forward();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _net.Dispose();
        _blob.Dispose();
    }
}
