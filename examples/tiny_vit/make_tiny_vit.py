#!/usr/bin/env python3
"""Generate vitc's embedded example model: a tiny ViT-style classifier.

32x32 RGB input, 8x8 patches (16 tokens + class token), width 64, 2 heads,
2 pre-norm transformer blocks (LayerNorm, multi-head attention, GELU MLP),
final LayerNorm and a 10-class head. Weights are random (seeded), not trained:
the logits carry no meaning. The graph is written the way the PyTorch exporter
writes such models (Reshape/Transpose/Split noise, Erf-form GELU, Sqrt scale).

Writes tiny_vit.onnx, input.npy and output.npy (ONNX Runtime's output) next
to this script. Needs: onnx, numpy, onnxruntime.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(0)
D, HEADS, MLP, BLOCKS, CLASSES, PATCH, IMG = 64, 2, 128, 2, 10, 8, 32
TOKENS = (IMG // PATCH) ** 2 + 1
nodes, inits = [], []


def weight(name, shape, scale=None):
    scale = scale if scale is not None else 1.0 / np.sqrt(shape[0] if len(shape) > 1 else 1.0)
    inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name))
    return name


def const(name, values, dtype=np.int64):
    inits.append(numpy_helper.from_array(np.array(values, dtype=dtype), name))
    return name


def node(op, inputs, name, **attrs):
    out = [f"{name}_out"]
    nodes.append(helper.make_node(op, inputs, out, name=name, **attrs))
    return out[0]


def layer_norm(x, prefix):
    g = weight(f"{prefix}.weight", [D], scale=0.1)
    inits[-1] = numpy_helper.from_array((1 + rng.standard_normal(D) * 0.1).astype(np.float32), g)
    b = weight(f"{prefix}.bias", [D], scale=0.1)
    return node("LayerNormalization", [x, g, b], f"/{prefix}/LayerNormalization", axis=-1, epsilon=1e-6)


def linear(x, prefix, din, dout):
    w = weight(f"{prefix}.weight_t", [din, dout])
    b = weight(f"{prefix}.bias", [dout], scale=0.1)
    return node("Add", [node("MatMul", [x, w], f"/{prefix}/MatMul"), b], f"/{prefix}/Add")


def block(x, i):
    p = f"blocks.{i}"
    h = layer_norm(x, f"{p}.norm1")
    qkv = linear(h, f"{p}.attn.qkv", D, 3 * D)
    qkv = node("Reshape", [qkv, const(f"/{p}/attn/shape_qkv", [1, TOKENS, 3, HEADS, D // HEADS])], f"/{p}/attn/Reshape")
    qkv = node("Transpose", [qkv], f"/{p}/attn/Transpose", perm=[2, 0, 3, 1, 4])
    parts = [f"/{p}/attn/Split_out{j}" for j in range(3)]
    nodes.append(helper.make_node("Split", [qkv, const(f"/{p}/attn/split", [1, 1, 1])], parts, name=f"/{p}/attn/Split", axis=0))
    q, k, v = (node("Squeeze", [t, const(f"/{p}/attn/axes{j}", [0])], f"/{p}/attn/Squeeze_{j}") for j, t in enumerate(parts))
    kt = node("Transpose", [k], f"/{p}/attn/Transpose_1", perm=[0, 1, 3, 2])
    scale = node("Sqrt", [const(f"/{p}/attn/hd", np.float32(D // HEADS), np.float32)], f"/{p}/attn/Sqrt")
    att = node("Div", [node("MatMul", [q, kt], f"/{p}/attn/MatMul"), scale], f"/{p}/attn/Div")
    att = node("Softmax", [att], f"/{p}/attn/Softmax", axis=-1)
    o = node("MatMul", [att, v], f"/{p}/attn/MatMul_1")
    o = node("Transpose", [o], f"/{p}/attn/Transpose_2", perm=[0, 2, 1, 3])
    o = node("Reshape", [o, const(f"/{p}/attn/shape_out", [1, TOKENS, D])], f"/{p}/attn/Reshape_1")
    x = node("Add", [x, linear(o, f"{p}.attn.proj", D, D)], f"/{p}/Add")
    h = linear(layer_norm(x, f"{p}.norm2"), f"{p}.mlp.fc1", D, MLP)
    half = const(f"/{p}/mlp/half", np.float32(0.5), np.float32)
    one = const(f"/{p}/mlp/one", np.float32(1.0), np.float32)
    sqrt2 = const(f"/{p}/mlp/sqrt2", np.float32(np.sqrt(2.0)), np.float32)
    erf = node("Erf", [node("Div", [h, sqrt2], f"/{p}/mlp/act/Div")], f"/{p}/mlp/act/Erf")
    h = node("Mul", [node("Mul", [h, node("Add", [erf, one], f"/{p}/mlp/act/Add")], f"/{p}/mlp/act/Mul"), half], f"/{p}/mlp/act/Mul_1")
    return node("Add", [x, linear(h, f"{p}.mlp.fc2", MLP, D)], f"/{p}/Add_1")


def main():
    x = "input"
    w = weight("patch_embed.proj.weight", [D, 3, PATCH, PATCH], scale=1.0 / np.sqrt(3 * PATCH * PATCH))
    b = weight("patch_embed.proj.bias", [D], scale=0.1)
    t = node("Conv", [x, w, b], "/patch_embed/proj/Conv", kernel_shape=[PATCH, PATCH], strides=[PATCH, PATCH])
    t = node("Reshape", [t, const("/patch_embed/shape", [1, D, -1])], "/patch_embed/Reshape")
    t = node("Transpose", [t], "/patch_embed/Transpose", perm=[0, 2, 1])
    cls = weight("cls_token", [1, 1, D], scale=0.1)
    t = node("Concat", [cls, t], "/Concat", axis=1)
    t = node("Add", [t, weight("pos_embed", [1, TOKENS, D], scale=0.1)], "/Add")
    for i in range(BLOCKS):
        t = block(t, i)
    t = layer_norm(t, "norm")
    t = node("Gather", [t, const("/cls_index", 0)], "/Gather", axis=1)
    w = weight("head.weight", [CLASSES, D])
    b = weight("head.bias", [CLASSES], scale=0.1)
    nodes.append(helper.make_node("Gemm", [t, w, b], ["output"], name="/head/Gemm", transB=1))
    graph = helper.make_graph(
        nodes,
        "tiny_vit",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, IMG, IMG])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, CLASSES])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="vitc-examples")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(HERE, "tiny_vit.onnx"))
    x = np.random.default_rng(1).standard_normal((1, 3, IMG, IMG), dtype=np.float32)
    np.save(os.path.join(HERE, "input.npy"), x)
    import onnxruntime as ort

    y = ort.InferenceSession(os.path.join(HERE, "tiny_vit.onnx"), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    np.save(os.path.join(HERE, "output.npy"), y)
    print(f"tiny_vit.onnx: {os.path.getsize(os.path.join(HERE, 'tiny_vit.onnx'))} bytes, output {y.shape}, max|y| {np.abs(y).max():.4f}")


if __name__ == "__main__":
    main()
