// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Backends;
using ConvLive.Engine.Ops;
using ConvLive.Engine.Tensors;

namespace ConvLive.Engine.Training;

/// <summary>How a head is trained.</summary>
/// <param name="BatchSize">Rows per step.</param>
/// <param name="Optimizer">Adam or SGD with momentum.</param>
/// <param name="LearningRate">Step size.</param>
/// <param name="WeightDecay">Decay (decoupled for Adam, L2 for SGD).</param>
/// <param name="InputGradient">Also compute the gradient of the loss with respect to the features (for training the backbone under the head).</param>
public sealed record TrainerOptions(int BatchSize = 32, OptimizerKind Optimizer = OptimizerKind.Adam, float LearningRate = 1e-3f, float WeightDecay = 1e-4f, bool InputGradient = false);

/// <summary>
/// Trains a <see cref="DenseHead"/> on a backend: the forward pass (Gemm + ReLU), softmax cross-entropy, the
/// backward pass (dW = dZᵀ·A, db = 1ᵀ·dZ, dA = dZ·W, through ReLU) and the optimizer update, all as backend ops,
/// so the same code trains on the CPU and on an ILGPU device. Also runs the head on one feature vector.
/// </summary>
/// <remarks>Owns its device buffers; does not own the backend. One thread; no allocation per step.</remarks>
public sealed class HeadTrainer : IDisposable
{
    private readonly IBackend _backend;
    private readonly TrainerOptions _options;
    private readonly LayerState[] _layers;
    private readonly DeviceTensor _x;       // (B, D)
    private readonly DeviceTensor _targets; // (B, K)
    private readonly DeviceTensor _loss;    // (B)
    private readonly DeviceTensor _ones;    // (1, B)
    private readonly DeviceTensor _x1;      // (1, D)
    private readonly DeviceTensor _probs1;  // (1, K)
    private readonly float[] _lossHost;
    private int _step;

    /// <summary>Uploads the head's parameters and allocates every buffer.</summary>
    /// <param name="backend">Where it runs; not owned.</param>
    /// <param name="head">The starting parameters.</param>
    /// <param name="options">Batch size and optimizer.</param>
    public HeadTrainer(IBackend backend, DenseHead head, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        _backend = backend;
        _options = options;
        var b = options.BatchSize;
        _layers = head.Layers.Select((l, i) => new LayerState(backend, l, b, needsInputGradient: i > 0 || options.InputGradient)).ToArray();
        for (var i = 0; i + 1 < _layers.Length; i++)
        {
            _layers[i].MarkHidden(backend, b);
        }
        _x = backend.Allocate(new TensorShape(b, head.Inputs));
        _targets = backend.Allocate(new TensorShape(b, head.Classes));
        _loss = backend.Allocate(new TensorShape(b));
        _ones = backend.Allocate(new TensorShape(1, b));
        backend.Upload(_ones, Enumerable.Repeat(1f, b).ToArray());
        _x1 = backend.Allocate(new TensorShape(1, head.Inputs));
        _probs1 = backend.Allocate(new TensorShape(1, head.Classes));
        _lossHost = new float[b];
        Inputs = head.Inputs;
        Classes = head.Classes;
    }

    /// <summary>Rows per step.</summary>
    public int BatchSize => _options.BatchSize;

    /// <summary>Feature width.</summary>
    public int Inputs { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Optimizer steps taken.</summary>
    public int Steps => _step;

    /// <summary>One step: forward, loss, backward and update on a full batch.</summary>
    /// <param name="features">BatchSize·Inputs values, row-major.</param>
    /// <param name="targets">BatchSize·Classes values: each row a one-hot (or smoothed) class distribution.</param>
    /// <returns>The mean loss of the batch before the update.</returns>
    public float Step(ReadOnlySpan<float> features, ReadOnlySpan<float> targets)
    {
        var loss = ComputeGradients(features, targets);
        var p = OptimizerParams.At(_options.Optimizer, _options.LearningRate, _options.WeightDecay, ++_step);
        foreach (var l in _layers)
        {
            _backend.OptimizerStep(l.W, l.GW, l.MW, l.VW, p);
            _backend.OptimizerStep(l.B, l.GB, l.MB, l.VB, p);
        }

        return loss;
    }

    /// <summary>Forward, loss and backward without an update (the gradients stay readable).</summary>
    /// <param name="features">BatchSize·Inputs values.</param>
    /// <param name="targets">BatchSize·Classes values.</param>
    /// <returns>The mean loss.</returns>
    public float ComputeGradients(ReadOnlySpan<float> features, ReadOnlySpan<float> targets)
    {
        _backend.Upload(_x, features);
        _backend.Upload(_targets, targets);
        var rows = _options.BatchSize;
        var input = _x;
        foreach (var l in _layers)
        {
            _backend.Gemm(l.Z, input, l.W, l.B, new GemmParams(rows, l.Outputs, l.Inputs, false, true, 1f, 1f, BiasLayout.Row));
            if (l.A is not null)
            {
                _backend.Activation(l.A, l.Z, ActivationKind.Relu, 0f);
            }

            input = l.A ?? l.Z;
        }

        var last = _layers[^1];
        _backend.SoftmaxCrossEntropy(last.DZ, _loss, last.Z, _targets, 1f / rows);
        for (var i = _layers.Length - 1; i >= 0; i--)
        {
            var l = _layers[i];
            var a = i == 0 ? _x : (_layers[i - 1].A ?? _layers[i - 1].Z);
            _backend.Gemm(l.GW, l.DZ, a, null, new GemmParams(l.Outputs, l.Inputs, rows, true, false, 1f, 0f, BiasLayout.None));
            _backend.Gemm(l.GB, _ones, l.DZ, null, new GemmParams(1, l.Outputs, rows, false, false, 1f, 0f, BiasLayout.None));
            if (i > 0 || l.DA is not null)
            {
                _backend.Gemm(l.DA!, l.DZ, l.W, null, new GemmParams(rows, l.Inputs, l.Outputs, false, false, 1f, 0f, BiasLayout.None));
            }

            if (i > 0)
            {
                var below = _layers[i - 1];
                _backend.ActivationBackward(below.DZ, l.DA!, below.A!, ActivationKind.Relu, 0f);
            }
        }

        _backend.Download(_lossHost, _loss);
        var sum = 0f;
        foreach (var v in _lossHost)
        {
            sum += v;
        }

        return sum / rows;
    }

    /// <summary>The gradient of the last step's loss with respect to its features (BatchSize·Inputs values), on the
    /// device; only with <see cref="TrainerOptions.InputGradient"/>.</summary>
    public DeviceTensor InputGradient => _layers[0].DA ?? throw new InvalidOperationException("this head was made without InputGradient");

    /// <summary>Reads the gradients of one layer left by the last step.</summary>
    /// <param name="layer">Layer index.</param>
    /// <param name="weight">Outputs·Inputs values.</param>
    /// <param name="bias">Outputs values.</param>
    public void ReadGradient(int layer, Span<float> weight, Span<float> bias)
    {
        _backend.Download(weight, _layers[layer].GW);
        _backend.Download(bias, _layers[layer].GB);
    }

    /// <summary>Class probabilities for one feature vector.</summary>
    /// <param name="features">Inputs values.</param>
    /// <param name="probabilities">Receives Classes values.</param>
    public void Predict(ReadOnlySpan<float> features, Span<float> probabilities)
    {
        _backend.Upload(_x1, features);
        PredictOnDevice(_x1, probabilities);
    }

    /// <summary>Class probabilities for a feature vector already on the device (a live network's tapped value).</summary>
    /// <param name="features">A tensor of Inputs values.</param>
    /// <param name="probabilities">Receives Classes values.</param>
    public void Predict(DeviceTensor features, Span<float> probabilities)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Length != Inputs)
        {
            throw new ArgumentException($"the head takes {Inputs} features, the tensor has {features.Length}", nameof(features));
        }

        _backend.CopyBlocks(_x1, 0, 0, features, 0, 0, 1, Inputs);
        PredictOnDevice(_x1, probabilities);
    }

    /// <summary>Copies the current parameters back to the host.</summary>
    /// <returns>The head as trained so far.</returns>
    public DenseHead Snapshot()
    {
        var layers = new List<DenseLayer>();
        foreach (var l in _layers)
        {
            var w = new float[l.W.Length];
            var b = new float[l.B.Length];
            _backend.Download(w, l.W);
            _backend.Download(b, l.B);
            layers.Add(new DenseLayer(l.Inputs, l.Outputs, w, b));
        }

        return new DenseHead(layers);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var l in _layers)
        {
            l.Dispose();
        }

        _x.Dispose();
        _targets.Dispose();
        _loss.Dispose();
        _ones.Dispose();
        _x1.Dispose();
        _probs1.Dispose();
    }

    private void PredictOnDevice(DeviceTensor x, Span<float> probabilities)
    {
        var input = x;
        foreach (var l in _layers)
        {
            var z = l.Z1;
            _backend.Gemm(z, input, l.W, l.B, new GemmParams(1, l.Outputs, l.Inputs, false, true, 1f, 1f, BiasLayout.Row));
            if (l.A1 is not null)
            {
                _backend.Activation(l.A1, z, ActivationKind.Relu, 0f);
            }

            input = l.A1 ?? z;
        }

        _backend.Softmax(_probs1, input, new SoftmaxParams(1, Classes, 1, false));
        _backend.Download(probabilities, _probs1);
    }

    /// <summary>One layer's parameters, optimizer state, gradients and activations.</summary>
    private sealed class LayerState : IDisposable
    {
        public LayerState(IBackend backend, DenseLayer layer, int rows, bool needsInputGradient)
        {
            Inputs = layer.Inputs;
            Outputs = layer.Outputs;
            W = backend.Allocate(new TensorShape(Outputs, Inputs));
            B = backend.Allocate(new TensorShape(Outputs));
            backend.Upload(W, layer.Weight);
            backend.Upload(B, layer.Bias);
            GW = Zeros(backend, W.Shape);
            GB = Zeros(backend, B.Shape);
            MW = Zeros(backend, W.Shape);
            VW = Zeros(backend, W.Shape);
            MB = Zeros(backend, B.Shape);
            VB = Zeros(backend, B.Shape);
            Z = backend.Allocate(new TensorShape(rows, Outputs));
            DZ = backend.Allocate(new TensorShape(rows, Outputs));
            DA = needsInputGradient ? backend.Allocate(new TensorShape(rows, Inputs)) : null; // the features need no gradient
            Z1 = backend.Allocate(new TensorShape(1, Outputs));
        }

        public int Inputs { get; }

        public int Outputs { get; }

        public DeviceTensor W { get; }

        public DeviceTensor B { get; }

        public DeviceTensor GW { get; }

        public DeviceTensor GB { get; }

        public DeviceTensor MW { get; }

        public DeviceTensor VW { get; }

        public DeviceTensor MB { get; }

        public DeviceTensor VB { get; }

        /// <summary>Pre-activation (B, Outputs); the logits for the last layer.</summary>
        public DeviceTensor Z { get; }

        /// <summary>ReLU output (B, Outputs); null for the last layer.</summary>
        public DeviceTensor? A { get; private set; }

        /// <summary>Gradient with respect to Z.</summary>
        public DeviceTensor DZ { get; }

        /// <summary>Gradient with respect to this layer's input (B, Inputs).</summary>
        public DeviceTensor? DA { get; }

        public DeviceTensor Z1 { get; }

        public DeviceTensor? A1 { get; private set; }

        public void MarkHidden(IBackend backend, int rows)
        {
            A = backend.Allocate(new TensorShape(rows, Outputs));
            A1 = backend.Allocate(new TensorShape(1, Outputs));
        }

        public void Dispose()
        {
            foreach (var t in new[] { W, B, GW, GB, MW, VW, MB, VB, Z, DZ, DA, Z1, A, A1 })
            {
                t?.Dispose();
            }
        }

        private static DeviceTensor Zeros(IBackend backend, TensorShape shape)
        {
            var t = backend.Allocate(shape);
            backend.Upload(t, new float[shape.Length]);
            return t;
        }
    }
}
