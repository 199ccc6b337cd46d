"""LayerNorm and learnable affine blocks in an ONNX graph (helpers of ``onnx_reader``).

paddle2onnx writes a learnable affine block (``scale * x + bias``, two one-element weights) as
``Mul(const [1], x)`` followed by ``Add(., const [1])``, and a LayerNorm, below opset 17, as
``(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps)`` over the last axis followed by
``Mul(., const [C])`` and ``Add(., const [C])``; opset 17 has ``LayerNormalization``. Each
function takes the reader (its nodes, constants, consumers and absorbed nodes) and a node index.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ppocr.export.importing.graph import SourceOp


def attrs_of(node) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def scaled_add(reader: Any, index: int, size: int | None) -> tuple[int, str, np.ndarray, str, np.ndarray, str] | None:
    """``Mul(x, w)`` then, as its only consumer, ``Add(., b)``, with ``w`` and ``b`` 1-D float constants
    of ``size`` elements (any size > 1 when None).

    Returns (position of the data input, w's name, w, b's name, b, the Add's output), or None.
    """
    node = reader.nodes[index]
    if len(node.input) != 2:
        return None
    consts = [i for i, name in enumerate(node.input) if name in reader.const]
    if len(consts) != 1:
        return None
    w_name = node.input[consts[0]]
    w = np.asarray(reader.const.value(w_name))
    users = reader.consumers.get(node.output[0], [])
    if (w.ndim != 1 or not np.issubdtype(w.dtype, np.floating) or (w.size != size if size else w.size < 2)
            or len(users) != 1 or reader.nodes[users[0]].op_type != "Add" or users[0] in reader.absorbed):
        return None
    add = reader.nodes[users[0]]
    other = [name for name in add.input if name != node.output[0]]
    if len(other) != 1 or other[0] not in reader.const:
        return None
    b = np.asarray(reader.const.value(other[0]))
    if b.shape != w.shape or not np.issubdtype(b.dtype, np.floating):
        return None
    reader.absorbed.add(users[0])
    return 1 - consts[0], w_name, w.astype(np.float32), other[0], b.astype(np.float32), add.output[0]


def mul_op(reader: Any, index: int) -> SourceOp | None:
    """A learnable affine block, or the scale and shift that end a decomposed LayerNorm."""
    node = reader.nodes[index]
    found = scaled_add(reader, index, 1)
    if found is not None:
        pos, w_name, w, b_name, b, out = found
        return SourceOp("affine", reader.name(index), "Mul+Add", {"scale": w, "bias": b},
                        {"scale": w_name, "bias": b_name}, input=node.input[pos], output=out)
    data = next((name for name in node.input if name not in reader.const), "")
    norm = normalised(reader, data)
    if norm is None:
        return None
    found = scaled_add(reader, index, None)
    if found is None:
        return None
    _, w_name, w, b_name, b, out = found
    source, eps = norm
    return SourceOp("layer_norm", reader.name(index), "LayerNorm (decomposed)", {"scale": w, "bias": b},
                    {"scale": w_name, "bias": b_name}, {"epsilon": eps}, input=source, output=out)


def normalised(reader: Any, value: str) -> tuple[str, float] | None:
    """(x, eps) when ``value`` is ``(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps)`` over the last axis."""
    made = reader.const.producer
    div = made.get(value)
    if div is None or div.op_type != "Div":
        return None
    sub, sqrt = made.get(div.input[0]), made.get(div.input[1])
    if sub is None or sqrt is None or sub.op_type != "Sub" or sqrt.op_type != "Sqrt":
        return None
    mean = made.get(sub.input[1])
    add = made.get(sqrt.input[0])
    if mean is None or mean.op_type != "ReduceMean" or mean.input[0] != sub.input[0] or add is None \
            or add.op_type != "Add" or list(attrs_of(mean).get("axes", [])) != [-1]:
        return None
    eps_name = next((name for name in add.input if name in reader.const), None)
    var = next((made.get(name) for name in add.input if name not in reader.const), None)
    if eps_name is None or var is None or var.op_type != "ReduceMean":
        return None
    power = made.get(var.input[0])
    if power is None or power.op_type != "Pow" or power.input[0] != div.input[0]:
        return None
    return sub.input[0], float(np.asarray(reader.const.value(eps_name)).reshape(-1)[0])


def layer_norm_op(reader: Any, index: int) -> SourceOp | None:
    node = reader.nodes[index]
    a = attrs_of(node)
    if int(a.get("axis", -1)) != -1 or len(node.input) < 3 or not node.input[2]:
        return None
    tensors, names = {}, {}
    for pos, role in ((1, "scale"), (2, "bias")):
        names[role], tensors[role] = reader.weight(index, pos, role)
    return SourceOp("layer_norm", reader.name(index), node.op_type, tensors, names,
                    {"epsilon": float(a.get("epsilon", 1e-5))}, input=node.input[0], output=node.output[0])
