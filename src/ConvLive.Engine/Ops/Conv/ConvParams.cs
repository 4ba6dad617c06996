// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Ops;

/// <summary>
/// The geometry of a 2-D convolution or pooling window, resolved from ONNX attributes and the input shape:
/// output size = floor((N + padBegin + padEnd − ((K − 1)·D + 1)) / S) + 1 (ceil with ceil_mode).
/// </summary>
public readonly record struct Window2D(int KernelH, int KernelW, int StrideH, int StrideW, int PadTop, int PadLeft, int PadBottom, int PadRight, int DilationH, int DilationW)
{
    /// <summary>Resolves auto_pad and computes the output size along one axis.</summary>
    /// <param name="autoPad">NOTSET, VALID, SAME_UPPER or SAME_LOWER.</param>
    /// <param name="input">Input size along the axis.</param>
    /// <param name="kernel">Kernel size.</param>
    /// <param name="stride">Stride.</param>
    /// <param name="dilation">Dilation.</param>
    /// <param name="padBegin">Explicit begin pad (NOTSET), replaced by the resolved one.</param>
    /// <param name="padEnd">Explicit end pad (NOTSET), replaced by the resolved one.</param>
    /// <param name="ceilMode">Round the output size up (pooling).</param>
    /// <returns>The output size.</returns>
    /// <exception cref="ArgumentException">An unknown auto_pad, or a window larger than the padded input.</exception>
    public static int Resolve(string autoPad, int input, int kernel, int stride, int dilation, ref int padBegin, ref int padEnd, bool ceilMode = false)
    {
        if (kernel < 1 || stride < 1 || dilation < 1)
        {
            throw new ArgumentException($"kernel {kernel}, stride {stride} and dilation {dilation} must all be at least 1");
        }

        var effective = ((kernel - 1) * dilation) + 1;
        switch (autoPad)
        {
            case "" or "NOTSET":
                break;
            case "VALID":
                padBegin = padEnd = 0;
                break;
            case "SAME_UPPER" or "SAME_LOWER":
                var output = (input + stride - 1) / stride;
                var total = Math.Max(0, ((output - 1) * stride) + effective - input);
                padBegin = autoPad == "SAME_UPPER" ? total / 2 : total - (total / 2);
                padEnd = total - padBegin;
                return output;
            default:
                throw new ArgumentException($"auto_pad '{autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
        }

        var span = input + padBegin + padEnd - effective;
        if (span < 0)
        {
            throw new ArgumentException($"a window of {effective} does not fit an input of {input} padded by {padBegin}+{padEnd}");
        }

        var size = ceilMode ? ((span + stride - 1) / stride) + 1 : (span / stride) + 1;

        // With ceil_mode the last window must still start inside the input or its begin padding.
        if (ceilMode && (size - 1) * stride >= input + padBegin)
        {
            size--;
        }

        return size;
    }
}

/// <summary>A resolved 2-D convolution: x (N,C,H,W) ⊛ w (M,C/G,KH,KW) + b (M) → y (N,M,OH,OW); with
/// <paramref name="Relu"/>, y = max(0, ·) in the same pass, after a residual when the call adds one (a Conv followed
/// by a Relu, or by a residual Add and a Relu, fused by <see cref="Graph.GraphFusion"/>).</summary>
public readonly record struct ConvParams(int N, int C, int H, int W, int M, int Groups, Window2D Window, int OutH, int OutW, bool Relu = false)
{
    /// <summary>Input channels per group.</summary>
    public int GroupInputs => C / Groups;

    /// <summary>Output channels per group.</summary>
    public int GroupOutputs => M / Groups;

    /// <summary>The output shape (N, M, OH, OW).</summary>
    public TensorShape OutputShape => new(N, M, OutH, OutW);

    /// <summary>Multiply-adds for one forward pass.</summary>
    public long MultiplyAdds => (long)N * M * OutH * OutW * GroupInputs * Window.KernelH * Window.KernelW;
}
