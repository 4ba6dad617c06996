#!/usr/bin/python3
"""Checks an ONNX export the way other tools will read it: onnx.checker with full_check (shape inference over the
whole graph), then Debian's OpenCV DNN (python3-opencv, 4.6 on Debian 12) runs each input and writes the outputs.

usage: export_check.py MODEL.onnx INPUTS.npy OUTPUTS.npy
  INPUTS.npy: float32 (N, 3, S, S), the model's input for N pictures; OUTPUTS.npy: float32 (N, K).
Prints one line per check; exits 1 with the reason when one fails.
"""
import sys

import numpy as np
import onnx
import cv2


def main(model_path, inputs_path, outputs_path):
    model = onnx.load(model_path)
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # the checker raises several types; the message names the node
        print(f"onnx.checker {onnx.__version__} (full_check) refuses {model_path}: {e}")
        return 1
    print(f"onnx.checker {onnx.__version__} (full_check): ok")

    try:
        net = cv2.dnn.readNetFromONNX(model_path)
    except cv2.error as e:
        print(f"OpenCV DNN {cv2.__version__} refuses {model_path}: {e}")
        return 1

    inputs = np.load(inputs_path)
    outputs = []
    for x in inputs:
        net.setInput(x[np.newaxis].astype(np.float32), model.graph.input[0].name)
        outputs.append(net.forward().reshape(-1))
    np.save(outputs_path, np.stack(outputs).astype(np.float32))
    print(f"OpenCV DNN {cv2.__version__}: ran {len(outputs)} inputs")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
