// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Devices;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Backends;

/// <summary>
/// The engine's one op set. Two implementations: the SIMD CPU backend and the ILGPU backend (CUDA, OpenCL or
/// ILGPU's CPU simulator). Both are held to the same naive references and ONNX node tests.
/// </summary>
/// <remarks>
/// Argument order is outputs, inputs, weights, then sizes. Outputs never alias inputs. Calls are issued from one
/// thread and may run asynchronously on the device: <see cref="Download"/> waits for them. Not thread safe.
/// </remarks>
public interface IBackend : IDisposable
{
    /// <summary>The device, as <see cref="ComputeDevice.Name"/> prints it.</summary>
    string Name { get; }

    /// <summary>The device kind.</summary>
    DeviceKind Kind { get; }

    /// <summary>The options in effect (an ILGPU backend reports fp32 weights and automatic choices whatever it was asked).</summary>
    BackendOptions Options { get; }

    /// <summary>Allocates a tensor (contents undefined); the caller owns it.</summary>
    /// <param name="shape">The shape.</param>
    /// <returns>The tensor.</returns>
    DeviceTensor Allocate(TensorShape shape);

    /// <summary>
    /// A constant tensor (weights) holding <paramref name="values"/>, marked <see cref="DeviceTensor.IsConstant"/>.
    /// The CPU backend keeps the array itself instead of a copy (a model's weights are not held twice), so the
    /// caller must never change the array afterwards; uploading into such a tensor is refused.
    /// </summary>
    /// <param name="shape">The shape.</param>
    /// <param name="values">At least shape.Length values.</param>
    /// <returns>The tensor; the caller owns it.</returns>
    DeviceTensor Constant(TensorShape shape, float[] values);

    /// <summary>Waits until every launched op has finished (a no-op on the CPU backend).</summary>
    void Synchronize();

    /// <summary>Allocates a byte buffer (contents undefined); the caller owns it.</summary>
    /// <param name="length">Bytes.</param>
    /// <returns>The buffer.</returns>
    DeviceBytes AllocateBytes(int length);

    /// <summary>Copies host bytes into the start of <paramref name="destination"/>.</summary>
    /// <param name="destination">The buffer.</param>
    /// <param name="source">At most destination.Length bytes.</param>
    void UploadBytes(DeviceBytes destination, ReadOnlySpan<byte> source);

    /// <summary>Waits for pending work and copies the start of <paramref name="source"/> to the host.</summary>
    /// <param name="destination">At most source.Length bytes.</param>
    /// <param name="source">The buffer.</param>
    void DownloadBytes(Span<byte> destination, DeviceBytes source);

    /// <summary>Camera frame (packed BGR bytes) to the network input: crop, bilinear resample, normalise.</summary>
    /// <param name="y">(1,3,Size,Size).</param>
    /// <param name="bgr">FrameWidth·FrameHeight·3 bytes.</param>
    /// <param name="p">Geometry and normalisation.</param>
    void Preprocess(DeviceTensor y, DeviceBytes bgr, PreprocessParams p);

    /// <summary>One augmented view of a camera frame into item <paramref name="item"/> of a batch (see <see cref="AugmentView"/>).</summary>
    /// <param name="y">(N,3,Size,Size).</param>
    /// <param name="item">Which of the N, 0 ≤ item &lt; N.</param>
    /// <param name="bgr">FrameWidth·FrameHeight·3 bytes.</param>
    /// <param name="p">Frame size and normalisation (its crop is not used).</param>
    /// <param name="view">Geometry, blur and colour of the view.</param>
    void Augment(DeviceTensor y, int item, DeviceBytes bgr, PreprocessParams p, AugmentView view);

    /// <summary>Packs a value's channels as min-max normalised 8-bit tiles into an atlas.</summary>
    /// <param name="atlas">The atlas bytes.</param>
    /// <param name="x">(1,C,H,W), or (1,N) for a fully connected layer (one tile).</param>
    /// <param name="layout">Where the tiles go.</param>
    void PackTiles(DeviceBytes atlas, DeviceTensor x, TileLayout layout);

    /// <summary>Copies host values into <paramref name="destination"/>.</summary>
    /// <param name="destination">The tensor to fill.</param>
    /// <param name="source">Exactly destination.Length values.</param>
    void Upload(DeviceTensor destination, ReadOnlySpan<float> source);

    /// <summary>Waits for pending work and copies <paramref name="source"/> to the host.</summary>
    /// <param name="destination">Exactly source.Length values.</param>
    /// <param name="source">The tensor to read.</param>
    void Download(Span<float> destination, DeviceTensor source);

    /// <summary>y = conv(x, w) + b (+ residual), NCHW, with groups, strides, pads and dilations; a fused Relu
    /// (<see cref="ConvParams.Relu"/>) comes after the residual, as in a residual block's Add→Relu.</summary>
    /// <param name="y">(N,M,OH,OW).</param>
    /// <param name="x">(N,C,H,W); never the same tensor as y.</param>
    /// <param name="w">(M,C/G,KH,KW).</param>
    /// <param name="b">(M) or null.</param>
    /// <param name="p">The geometry.</param>
    /// <param name="residual">(N,M,OH,OW), added in the store after the bias (the same rounding as a separate Add),
    /// or null; never the same tensor as y.</param>
    void Conv(DeviceTensor y, DeviceTensor x, DeviceTensor w, DeviceTensor? b, ConvParams p, DeviceTensor? residual = null);

    /// <summary>Max, average or L2 pooling over 2-D windows.</summary>
    /// <param name="y">(N,C,OH,OW).</param>
    /// <param name="x">(N,C,H,W).</param>
    /// <param name="p">The geometry and kind.</param>
    void Pool(DeviceTensor y, DeviceTensor x, PoolParams p);

    /// <summary>An element-wise activation.</summary>
    /// <param name="y">Same shape as x.</param>
    /// <param name="x">Any shape.</param>
    /// <param name="kind">Which activation.</param>
    /// <param name="alpha">LeakyRelu's slope; ignored otherwise.</param>
    void Activation(DeviceTensor y, DeviceTensor x, ActivationKind kind, float alpha);

    /// <summary>y = a ∘ b with NumPy broadcasting.</summary>
    /// <param name="y">The broadcast shape.</param>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <param name="kind">Which operation.</param>
    /// <param name="p">The broadcast.</param>
    void Binary(DeviceTensor y, DeviceTensor a, DeviceTensor b, BinaryKind kind, BroadcastParams p);

    /// <summary>Local response normalisation across channels.</summary>
    /// <param name="y">(N,C,H,W).</param>
    /// <param name="x">(N,C,H,W).</param>
    /// <param name="p">Size, alpha, beta, bias.</param>
    void Lrn(DeviceTensor y, DeviceTensor x, LrnParams p);

    /// <summary>Inference batch normalisation: y = scale·(x − mean)/sqrt(var + eps) + bias, per channel.</summary>
    /// <param name="y">(N,C,…).</param>
    /// <param name="x">(N,C,…).</param>
    /// <param name="scale">(C).</param>
    /// <param name="bias">(C).</param>
    /// <param name="mean">(C).</param>
    /// <param name="variance">(C).</param>
    /// <param name="epsilon">Added to the variance.</param>
    void BatchNorm(DeviceTensor y, DeviceTensor x, DeviceTensor scale, DeviceTensor bias, DeviceTensor mean, DeviceTensor variance, float epsilon);

    /// <summary>y = alpha·op(a)·op(b) + beta·c.</summary>
    /// <param name="y">(M,N).</param>
    /// <param name="a">(M,K), or (K,M) when transposed.</param>
    /// <param name="b">(K,N), or (N,K) when transposed.</param>
    /// <param name="c">Broadcastable to (M,N), or null.</param>
    /// <param name="p">Sizes, flags and the layout of c.</param>
    void Gemm(DeviceTensor y, DeviceTensor a, DeviceTensor b, DeviceTensor? c, GemmParams p);

    /// <summary>Batched matrix product with broadcast batch dimensions.</summary>
    /// <param name="y">(…,M,N).</param>
    /// <param name="a">(…,M,K).</param>
    /// <param name="b">(…,K,N).</param>
    /// <param name="p">Sizes and batch offsets.</param>
    void MatMul(DeviceTensor y, DeviceTensor a, DeviceTensor b, MatMulParams p);

    /// <summary>Softmax or log-softmax over the middle axis of (Outer, Axis, Inner).</summary>
    /// <param name="y">Same shape as x.</param>
    /// <param name="x">Any shape.</param>
    /// <param name="p">The view and whether to take the log.</param>
    void Softmax(DeviceTensor y, DeviceTensor x, SoftmaxParams p);

    /// <summary>y = x with its axes permuted.</summary>
    /// <param name="y">The permuted shape.</param>
    /// <param name="x">The input.</param>
    /// <param name="p">The gather.</param>
    void Transpose(DeviceTensor y, DeviceTensor x, TransposeParams p);

    /// <summary>The gradient of an activation through its output: dx = dy · f′, with f′ written in terms of
    /// y = f(x) (Relu: y &gt; 0; LeakyRelu: y ≥ 0 ? 1 : alpha; Tanh: 1 − y²; Sigmoid: y·(1 − y)). For Relu the
    /// <paramref name="rule"/> picks the explanation variants (see <see cref="GradientRule"/>); other activations
    /// always take the true gradient.</summary>
    /// <param name="dx">Same shape as y; written.</param>
    /// <param name="dy">The gradient of the loss with respect to y.</param>
    /// <param name="y">The activation's output.</param>
    /// <param name="kind">Which activation.</param>
    /// <param name="alpha">LeakyRelu's slope; ignored otherwise.</param>
    /// <param name="rule">How a Relu passes the gradient.</param>
    void ActivationBackward(DeviceTensor dx, DeviceTensor dy, DeviceTensor y, ActivationKind kind, float alpha, GradientRule rule = GradientRule.Gradient);

    /// <summary>The gradient of <see cref="Conv"/> with respect to its input (a transposed convolution of dy by w).
    /// <see cref="ConvParams.Relu"/> is ignored: the caller passes dy already masked by the Relu.</summary>
    /// <param name="dx">(N,C,H,W); written.</param>
    /// <param name="dy">(N,M,OH,OW).</param>
    /// <param name="w">(M,C/G,KH,KW).</param>
    /// <param name="p">The forward geometry.</param>
    void ConvBackwardData(DeviceTensor dx, DeviceTensor dy, DeviceTensor w, ConvParams p);

    /// <summary>The gradients of <see cref="Conv"/> with respect to its weights and bias (summed over the batch).</summary>
    /// <param name="dw">(M,C/G,KH,KW); written.</param>
    /// <param name="db">(M) or null; written.</param>
    /// <param name="dy">(N,M,OH,OW), already masked by a fused Relu.</param>
    /// <param name="x">(N,C,H,W): the forward input.</param>
    /// <param name="p">The forward geometry.</param>
    void ConvBackwardFilter(DeviceTensor dw, DeviceTensor? db, DeviceTensor dy, DeviceTensor x, ConvParams p);

    /// <summary>The gradient of <see cref="Pool"/>: max pooling sends each output's gradient to its window's
    /// arg-max (the first maximum in row-major order); average pooling spreads it over the window by the forward's
    /// divisor; L2 pooling passes dy·x/y.</summary>
    /// <param name="dx">(N,C,H,W); written.</param>
    /// <param name="dy">(N,C,OH,OW).</param>
    /// <param name="x">The forward input.</param>
    /// <param name="y">The forward output.</param>
    /// <param name="p">The forward geometry.</param>
    void PoolBackward(DeviceTensor dx, DeviceTensor dy, DeviceTensor x, DeviceTensor y, PoolParams p);

    /// <summary>The gradient of <see cref="Lrn"/>.</summary>
    /// <param name="dx">(N,C,…); written.</param>
    /// <param name="dy">(N,C,…).</param>
    /// <param name="x">The forward input.</param>
    /// <param name="y">The forward output.</param>
    /// <param name="p">Size, alpha, beta, bias.</param>
    void LrnBackward(DeviceTensor dx, DeviceTensor dy, DeviceTensor x, DeviceTensor y, LrnParams p);

    /// <summary>The gradients of inference <see cref="BatchNorm"/> (an affine map per channel); each output may be null.</summary>
    /// <param name="dx">(N,C,…) or null; written.</param>
    /// <param name="dScale">(C) or null: Σ dy·(x − mean)/sqrt(var + eps); written.</param>
    /// <param name="dBias">(C) or null: Σ dy; written.</param>
    /// <param name="dy">(N,C,…).</param>
    /// <param name="x">The forward input.</param>
    /// <param name="scale">(C).</param>
    /// <param name="mean">(C).</param>
    /// <param name="variance">(C).</param>
    /// <param name="epsilon">Added to the variance.</param>
    void BatchNormBackward(DeviceTensor? dx, DeviceTensor? dScale, DeviceTensor? dBias, DeviceTensor dy, DeviceTensor x, DeviceTensor scale, DeviceTensor mean, DeviceTensor variance, float epsilon);

    /// <summary>The gradient of <see cref="Binary"/> with respect to one operand, summed back over the axes that
    /// operand was broadcast along, times <paramref name="scale"/>.</summary>
    /// <param name="d">The operand's shape; written.</param>
    /// <param name="dy">The broadcast output's gradient.</param>
    /// <param name="a">The left operand (read by Mul and Div).</param>
    /// <param name="b">The right operand (read by Mul and Div).</param>
    /// <param name="kind">The forward operation.</param>
    /// <param name="p">The forward broadcast.</param>
    /// <param name="operand">0 for a, 1 for b.</param>
    /// <param name="scale">A factor on the result (Gemm's beta on its C).</param>
    void BinaryBackward(DeviceTensor d, DeviceTensor dy, DeviceTensor a, DeviceTensor b, BinaryKind kind, BroadcastParams p, int operand, float scale);

    /// <summary>The gradient of <see cref="Softmax"/> through its output: dx = y·(dy − Σ dy·y), or for the log
    /// form dx = dy − exp(y)·Σ dy.</summary>
    /// <param name="dx">Same shape as y; written.</param>
    /// <param name="dy">The output's gradient.</param>
    /// <param name="y">The forward output.</param>
    /// <param name="p">The forward view.</param>
    void SoftmaxBackward(DeviceTensor dx, DeviceTensor dy, DeviceTensor y, SoftmaxParams p);

    /// <summary>The gradients of <see cref="MatMul"/>: dA = dY·Bᵀ and dB = Aᵀ·dY per batch, summed where an
    /// operand was broadcast; either may be null.</summary>
    /// <param name="da">A's shape or null; written.</param>
    /// <param name="db">B's shape or null; written.</param>
    /// <param name="dy">(…,M,N).</param>
    /// <param name="a">(…,M,K).</param>
    /// <param name="b">(…,K,N).</param>
    /// <param name="p">Sizes and batch offsets.</param>
    void MatMulBackward(DeviceTensor? da, DeviceTensor? db, DeviceTensor dy, DeviceTensor a, DeviceTensor b, MatMulParams p);

    /// <summary>Softmax cross-entropy over the rows of (B,K) logits: p = softmax(row);
    /// loss[b] = −Σ_k target[b,k]·log p[b,k]; grad[b,k] = scale·(p[b,k] − target[b,k]).</summary>
    /// <param name="grad">(B,K): the gradient of scale·Σ_b loss[b] with respect to the logits.</param>
    /// <param name="loss">(B): each row's loss.</param>
    /// <param name="logits">(B,K).</param>
    /// <param name="target">(B,K): one-hot (or smoothed) class probabilities, rows summing to 1.</param>
    /// <param name="scale">Usually 1/B, so grad is that of the mean loss.</param>
    void SoftmaxCrossEntropy(DeviceTensor grad, DeviceTensor loss, DeviceTensor logits, DeviceTensor target, float scale);

    /// <summary>One optimizer update of a parameter tensor in place, see <see cref="OptimizerParams"/>.</summary>
    /// <param name="parameter">Updated in place.</param>
    /// <param name="grad">Its gradient.</param>
    /// <param name="m">First moment (Adam) or velocity (SGD); updated in place; start at 0.</param>
    /// <param name="v">Second moment (Adam); updated in place; start at 0; unused by SGD.</param>
    /// <param name="p">The rule and its constants.</param>
    void OptimizerStep(DeviceTensor parameter, DeviceTensor grad, DeviceTensor m, DeviceTensor v, OptimizerParams p);

    /// <summary>A parameter of a compiled model changed in place (an <see cref="OptimizerStep"/> on a weight the
    /// model compiled as a constant): forget every form derived from it (packed or transformed weights).</summary>
    /// <param name="parameter">The parameter.</param>
    void ParametersChanged(DeviceTensor parameter);

    /// <summary>Writes new values into a parameter a trainer owns and forgets its derived forms. Unlike
    /// <see cref="Upload"/>, it also writes into a constant that shares its caller's array (which then changes too).</summary>
    /// <param name="parameter">The parameter.</param>
    /// <param name="values">Exactly its length.</param>
    void SetParameter(DeviceTensor parameter, ReadOnlySpan<float> values);

    /// <summary>Copies <paramref name="blocks"/> runs of <paramref name="run"/> elements: run i goes from
    /// x[xOffset + i·xStride] to y[yOffset + i·yStride] (Concat, Split, Identity).</summary>
    /// <param name="y">Destination.</param>
    /// <param name="yOffset">First destination element.</param>
    /// <param name="yStride">Elements between destination runs.</param>
    /// <param name="x">Source.</param>
    /// <param name="xOffset">First source element.</param>
    /// <param name="xStride">Elements between source runs.</param>
    /// <param name="blocks">Number of runs.</param>
    /// <param name="run">Elements per run.</param>
    void CopyBlocks(DeviceTensor y, int yOffset, int yStride, DeviceTensor x, int xOffset, int xStride, int blocks, int run);
}
