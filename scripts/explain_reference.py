#!/usr/bin/python3
"""PyTorch autograd references for `convlive explain`.

Runs an ONNX model with PyTorch ops (a small interpreter over the ops ConvLive claims) and writes, for one input and
one class score, what `convlive explain` computes: the input gradient, guided backpropagation, the deconvnet view and
Grad-CAM on a named value. Also builds SqueezeNet 1.1 (seeded weights) as ONNX, since no pretrained copy is at hand.

  /usr/bin/python3 scripts/explain_reference.py explain MODEL.onnx INPUT.npy CLASS CAM_VALUE OUT_DIR [--dtype float64]
  /usr/bin/python3 scripts/explain_reference.py squeezenet OUT.onnx SEED

Debian's python3-torch and python3-onnx import under /usr/bin/python3. Version 1: outputs gradient.npy, guided.npy,
deconv.npy, gradcam.npy, score.npy in OUT_DIR.
"""
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

RULE = {"rule": "gradient"}


class RuleRelu(torch.autograd.Function):
    """Relu whose backward follows the explanation rule: the true gradient, guided or deconvnet."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if RULE["rule"] == "guided":
            return g * (x > 0).to(g.dtype) * (g > 0).to(g.dtype)
        if RULE["rule"] == "deconv":
            return g.clamp(min=0)
        return g * (x > 0).to(g.dtype)


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def pads2d(node):
    p = list(attr(node, "pads", [0, 0, 0, 0]))
    return p[0], p[1], p[2], p[3]  # top, left, bottom, right


def lrn(x, size, alpha, beta, bias):
    before, after = (size - 1) // 2, size - 1 - (size - 1) // 2
    sq = F.pad(x * x, (0, 0, 0, 0, before, after))
    total = sum(sq[:, i:i + x.shape[1]] for i in range(size))
    return x / (bias + alpha / size * total) ** beta


def pool(node, x):
    k = list(attr(node, "kernel_shape"))
    s = list(attr(node, "strides", [1, 1]))
    t, l, b, r = pads2d(node)
    ceil = bool(attr(node, "ceil_mode", 0))
    if node.op_type == "MaxPool":
        xp = F.pad(x, (l, r, t, b), value=float("-inf"))
        return F.max_pool2d(xp, k, s, ceil_mode=ceil)
    xp = F.pad(x, (l, r, t, b))
    sums = F.avg_pool2d(xp, k, s, ceil_mode=ceil, count_include_pad=True, divisor_override=1)
    if attr(node, "count_include_pad", 0):
        ones = F.pad(torch.ones_like(x[:, :1]), (l, r, t, b), value=1.0)
    else:
        ones = F.pad(torch.ones_like(x[:, :1]), (l, r, t, b))
    counts = F.avg_pool2d(ones, k, s, ceil_mode=ceil, count_include_pad=True, divisor_override=1)
    return sums / counts


def run(model, x, keep):
    """Runs the graph; returns every value (those in `keep` retain their gradients)."""
    vals = {i.name: torch.tensor(numpy_helper.to_array(i)) for i in model.graph.initializer}
    for k in list(vals):
        if vals[k].dtype in (torch.float32, torch.float64):
            vals[k] = vals[k].to(x.dtype)
    vals[model.graph.input[0].name] = x
    for n in model.graph.node:
        i = [vals[name] if name else None for name in n.input]
        op = n.op_type
        if op == "Conv":
            t, l, b, r = pads2d(n)
            y = F.conv2d(F.pad(i[0], (l, r, t, b)), i[1], i[2] if len(i) > 2 else None,
                         stride=list(attr(n, "strides", [1, 1])), dilation=list(attr(n, "dilations", [1, 1])),
                         groups=attr(n, "group", 1))
        elif op == "Relu":
            y = RuleRelu.apply(i[0])
        elif op == "LeakyRelu":
            y = F.leaky_relu(i[0], attr(n, "alpha", 0.01))
        elif op == "Tanh":
            y = torch.tanh(i[0])
        elif op == "Sigmoid":
            y = torch.sigmoid(i[0])
        elif op == "LRN":
            y = lrn(i[0], attr(n, "size"), attr(n, "alpha", 1e-4), attr(n, "beta", 0.75), attr(n, "bias", 1.0))
        elif op in ("MaxPool", "AveragePool"):
            y = pool(n, i[0])
        elif op == "GlobalAveragePool":
            y = i[0].mean(dim=(2, 3), keepdim=True)
        elif op == "GlobalMaxPool":
            y = i[0].amax(dim=(2, 3), keepdim=True)
        elif op == "BatchNormalization":
            eps = attr(n, "epsilon", 1e-5)
            shape = (1, -1) + (1,) * (i[0].dim() - 2)
            y = (i[0] - i[3].view(shape)) / torch.sqrt(i[4].view(shape) + eps) * i[1].view(shape) + i[2].view(shape)
        elif op in ("Add", "Sum"):
            y = i[0]
            for v in i[1:]:
                y = y + v
        elif op == "Sub":
            y = i[0] - i[1]
        elif op == "Mul":
            y = i[0] * i[1]
        elif op == "Div":
            y = i[0] / i[1]
        elif op == "Gemm":
            a = i[0].t() if attr(n, "transA", 0) else i[0]
            bm = i[1].t() if attr(n, "transB", 0) else i[1]
            y = attr(n, "alpha", 1.0) * (a @ bm)
            if len(i) > 2 and i[2] is not None:
                y = y + attr(n, "beta", 1.0) * i[2]
        elif op == "MatMul":
            y = i[0] @ i[1]
        elif op == "Flatten":
            axis = attr(n, "axis", 1)
            y = i[0].reshape(int(np.prod(i[0].shape[:axis])), -1)
        elif op == "Reshape":
            shape = [int(v) for v in i[1].tolist()]
            shape = [i[0].shape[d] if v == 0 else v for d, v in enumerate(shape)]
            y = i[0].reshape(shape)
        elif op in ("Dropout", "Identity"):
            y = i[0]
        elif op == "Concat":
            y = torch.cat(i, dim=attr(n, "axis"))
        elif op == "Softmax":
            y = F.softmax(i[0], dim=attr(n, "axis", -1 if model.opset_import[0].version >= 13 else 1))
        elif op == "Transpose":
            y = i[0].permute(list(attr(n, "perm")))
        elif op == "Constant":
            y = torch.tensor(numpy_helper.to_array(attr(n, "value")))
        else:
            raise SystemExit(f"explain_reference.py: op {op} (node {n.name}) is not in this interpreter")
        if n.output[0] in keep:
            y.retain_grad()
        vals[n.output[0]] = y
    return vals


def score_value(model):
    out = model.graph.output[0].name
    producer = [n for n in model.graph.node if out in n.output][-1]
    return producer.input[0] if producer.op_type == "Softmax" else out


def explain(model_path, input_path, k, cam, out_dir, dtype):
    model = onnx.load(model_path)
    x0 = torch.tensor(np.load(input_path)).to(dtype)
    seed = score_value(model)
    results = {}
    for rule in ("gradient", "guided", "deconv"):
        RULE["rule"] = rule
        x = x0.clone().requires_grad_(True)
        vals = run(model, x, {cam})
        score = vals[seed].reshape(vals[seed].shape[0], -1)[0, k]
        score.backward()
        results[rule] = x.grad.detach()
        if rule == "gradient":
            a, g = vals[cam].detach()[0], vals[cam].grad.detach()[0]
            alpha = g.mean(dim=(1, 2))
            results["gradcam"] = torch.relu((alpha[:, None, None] * a).sum(0))
            results["score"] = score.detach().reshape(1)
    for name, v in results.items():
        np.save(f"{out_dir}/{name}.npy", v.numpy().astype(np.float32))


def squeezenet(path, seed):
    """SqueezeNet 1.1 (Iandola et al. 2016, the torchvision layout), He-initialised from `seed`."""
    rng = np.random.RandomState(seed)
    nodes, inits = [], []
    count = [0]

    def conv(x, cin, cout, k, stride=1, pad=0):
        count[0] += 1
        name = f"conv{count[0]}"
        w = (rng.randn(cout, cin, k, k) * np.sqrt(2.0 / (cin * k * k))).astype(np.float32)
        b = (rng.randn(cout) * 0.01).astype(np.float32)
        inits.extend([numpy_helper.from_array(w, name + "_w"), numpy_helper.from_array(b, name + "_b")])
        nodes.append(helper.make_node("Conv", [x, name + "_w", name + "_b"], [name], name=name, kernel_shape=[k, k],
                                      strides=[stride, stride], pads=[pad] * 4))
        nodes.append(helper.make_node("Relu", [name], [name + "_relu"], name=name + "_relu"))
        return name + "_relu"

    def maxpool(x, name):
        nodes.append(helper.make_node("MaxPool", [x], [name], name=name, kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1))
        return name

    def fire(x, cin, s, e):
        sq = conv(x, cin, s, 1)
        a, b = conv(sq, s, e, 1), conv(sq, s, e, 3, pad=1)
        name = f"fire{count[0]}_concat"
        nodes.append(helper.make_node("Concat", [a, b], [name], name=name, axis=1))
        return name

    x = conv("data", 3, 64, 3, stride=2)
    x = maxpool(x, "pool1")
    x = fire(x, 64, 16, 64)
    x = fire(x, 128, 16, 64)
    x = maxpool(x, "pool2")
    x = fire(x, 128, 32, 128)
    x = fire(x, 256, 32, 128)
    x = maxpool(x, "pool3")
    x = fire(x, 256, 48, 192)
    x = fire(x, 384, 48, 192)
    x = fire(x, 384, 64, 256)
    x = fire(x, 512, 64, 256)
    nodes.append(helper.make_node("Dropout", [x], ["drop"], name="drop"))
    x = conv("drop", 512, 1000, 1)
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pool10"], name="pool10"))
    nodes.append(helper.make_node("Flatten", ["pool10"], ["logits"], name="flatten"))
    nodes.append(helper.make_node("Softmax", ["logits"], ["prob"], name="prob", axis=1))
    graph = helper.make_graph(nodes, "squeezenet1_1", [helper.make_tensor_value_info("data", 1, [1, 3, 224, 224])],
                              [helper.make_tensor_value_info("prob", 1, [1, 1000])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


if __name__ == "__main__":
    torch.set_num_threads(2)
    if sys.argv[1] == "explain":
        dt = torch.float64 if "--dtype" in sys.argv and sys.argv[sys.argv.index("--dtype") + 1] == "float64" else torch.float32
        explain(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6], dt)
    elif sys.argv[1] == "squeezenet":
        squeezenet(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
