"""Read an ``.onnx`` file into a ``SourceGraph`` without running it.

The file is parsed as protobuf (``onnx.load``, external data refused). Converters from Paddle
(paddle2onnx) store weights as ``Constant`` nodes rather than initializers, write a conv's
bias as a separate ``Add`` of a reshaped constant and compute an LSTM's ``W``/``R``/``B``
with small constant subgraphs (Unsqueeze/Concat/Slice that reorder the gates). So:

- a value is *constant* when it is an initializer, a Constant output, or the output of a
  data-movement op (``FOLDABLE``) whose inputs are all constant; such values are computed
  with ``onnx.reference.ReferenceEvaluator`` on that constant-only subgraph (standard ops
  implemented in numpy; nothing from the file is executed);
- ``Conv``/``ConvTranspose`` followed by its only consumer ``Add(x, const [1, C, 1, 1])``,
  and ``MatMul``/``Gemm`` followed by ``Add(x, const [C])``, become one op with a bias;
- ``Mul(x, const [1])`` whose only consumer is ``Add(const [1])`` is a learnable affine block;
- a LayerNorm is ``LayerNormalization`` (opset 17), or as paddle2onnx writes it for older
  opsets: ``(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps)`` along the last axis, then
  ``Mul(const [C])`` and ``Add(const [C])``;
- a float constant with varying values that no supported op reads (outside settings
  inputs such as Resize scales) is reported in ``SourceGraph.unmapped``: a weight the
  import would lose. One-element constants count as weights only where an affine block
  reads them.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any

import numpy as np

from ppocr.errors import ConfigError, DataError
from ppocr.export.importing.graph import ONNX_TO_PADDLE_GATES, SourceGraph, SourceOp, lstm_role, reorder_gates
from ppocr.export.importing.onnx_norms import attrs_of, layer_norm_op, mul_op

# Pure data movement: safe to fold when every input is constant.
FOLDABLE = frozenset({"Constant", "Identity", "Unsqueeze", "Squeeze", "Concat", "Slice", "Reshape",
                      "Transpose", "Cast", "Gather", "Split", "Flatten"})
# Inputs that carry settings (shapes, scales, bounds), not weights.
SETTINGS_INPUTS: dict[str, tuple[int, ...]] = {
    "Resize": (1, 2, 3), "Upsample": (1,), "Reshape": (1,), "Slice": (1, 2, 3, 4), "Tile": (1,),
    "Expand": (1,), "Clip": (1, 2), "Pad": (1, 2, 3), "Squeeze": (1,), "Unsqueeze": (1,),
    "ReduceMean": (1,), "ReduceSum": (1,), "Split": (1,), "TopK": (1,), "Range": (0, 1, 2),
    "ConstantOfShape": (0,),
}
_ALIASES = frozenset({"Identity", "Dropout"})
_RELAYOUTS = frozenset({"Transpose", "Reshape", "Squeeze", "Unsqueeze", "Flatten"})
_LSTM_DEFAULT_ACTS = [b"Sigmoid", b"Tanh", b"Tanh"]


def _load(path: str):
    import onnx
    from google.protobuf.message import DecodeError

    if not os.path.isfile(path):
        raise DataError(f"ONNX model not found: {path}")
    try:
        model = onnx.load(path, load_external_data=False)
    except (DecodeError, ValueError, OSError) as exc:
        raise DataError(f"{path}: not a readable ONNX model (truncated or corrupt: {exc})") from exc
    graph = model.graph
    if not graph.node or not graph.output or not graph.input:
        raise DataError(f"{path}: not a complete ONNX model ({len(graph.node)} nodes, {len(graph.input)} inputs, "
                        f"{len(graph.output)} outputs): truncated or corrupt")
    for tensor in graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            raise DataError(f"{path}: initializer {tensor.name!r} is stored in an external file; "
                            "save the model with its weights inside (onnx.save(..., save_as_external_data=False))")
    return model


class _Constants:
    """Which values are constant, and their values (folded on first use)."""

    def __init__(self, model, path: str) -> None:
        from onnx import numpy_helper

        self.model, self.path = model, path
        self.graph = model.graph
        self.values: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in self.graph.initializer}
        self.producer: dict[str, Any] = {}
        self.names = set(self.values)
        for node in self.graph.node:
            for out in node.output:
                self.producer[out] = node
            if node.op_type == "Constant" or (
                    node.op_type in FOLDABLE and node.input and all(not i or i in self.names for i in node.input)):
                self.names.update(o for o in node.output if o)

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def value(self, name: str) -> np.ndarray:
        if name not in self.values:
            node = self.producer[name]
            direct = _constant_node_value(node) if node.op_type == "Constant" else None
            self.values[name] = direct if direct is not None else self._fold(name)
        return self.values[name]

    def _fold(self, name: str) -> np.ndarray:
        """Evaluate the constant-only subgraph that produces ``name`` (numpy reference ops)."""
        import onnx
        from onnx import helper
        from onnx.reference import ReferenceEvaluator

        needed, stack, seen = [], [name], set()
        while stack:
            value = stack.pop()
            if value in seen or value in self.values or not value:
                continue
            seen.add(value)
            node = self.producer[value]
            needed.append(node)
            stack.extend(node.input)
        nodes = list({id(n): n for n in reversed(needed)}.values())
        order = {id(n): i for i, n in enumerate(self.graph.node)}
        nodes.sort(key=lambda n: order[id(n)])
        known = dict.fromkeys(i for n in nodes for i in n.input if i in self.values)
        inits = [onnx.numpy_helper.from_array(self.values[i], i) for i in known]
        graph = helper.make_graph(nodes, "fold", [], [helper.make_empty_tensor_value_info(name)], inits)
        sub = helper.make_model(graph, opset_imports=list(self.model.opset_import))
        try:
            (result,) = ReferenceEvaluator(sub).run([name], {})
        except Exception as exc:  # the reference ops raise assorted errors on bad constants
            raise DataError(f"{self.path}: cannot compute the constant {name!r} "
                            f"({type(exc).__name__}: {exc})") from exc
        return np.asarray(result)


def _constant_node_value(node) -> np.ndarray | None:
    from onnx import numpy_helper

    for attr in node.attribute:
        if attr.name == "value":
            return numpy_helper.to_array(attr.t)
        if attr.name == "value_float":
            return np.array(attr.f, dtype=np.float32)
        if attr.name == "value_floats":
            return np.array(list(attr.floats), dtype=np.float32)
        if attr.name == "value_int":
            return np.array(attr.i, dtype=np.int64)
        if attr.name == "value_ints":
            return np.array(list(attr.ints), dtype=np.int64)
    return None


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.model = _load(path)
        self.graph = self.model.graph
        self.nodes = list(self.graph.node)
        self.const = _Constants(self.model, path)
        self.consumers: dict[str, list[int]] = {}
        for i, node in enumerate(self.nodes):
            for name in node.input:
                if name:
                    self.consumers.setdefault(name, []).append(i)
        self.absorbed: set[int] = set()

    def name(self, index: int) -> str:
        node = self.nodes[index]
        return node.name or f"{node.op_type}_{index}"

    def weight(self, index: int, position: int, what: str) -> tuple[str, np.ndarray]:
        node = self.nodes[index]
        name = node.input[position] if len(node.input) > position else ""
        if not name:
            raise DataError(f"{self.path}: {node.op_type} '{self.name(index)}' has no {what} input")
        if name not in self.const:
            raise DataError(f"{self.path}: {node.op_type} '{self.name(index)}' computes its {what} ({name!r}) at "
                            "run time; the importer reads constant weights only")
        return name, np.asarray(self.const.value(name), dtype=np.float32)

    def bias_add(self, index: int, value: str, channels: int, channel_axis: int) -> tuple[str, np.ndarray, str] | None:
        """The Add that is ``value``'s only consumer and adds a per-channel constant, if any."""
        users = self.consumers.get(value, [])
        if len(users) != 1 or self.nodes[users[0]].op_type != "Add" or users[0] in self.absorbed:
            return None
        add = self.nodes[users[0]]
        other = [i for i in add.input if i != value]
        if len(other) != 1 or other[0] not in self.const:
            return None
        arr = np.asarray(self.const.value(other[0]))
        if arr.size != channels or not np.issubdtype(arr.dtype, np.floating):
            return None
        if channel_axis == 1 and arr.ndim > 1 and arr.shape[-3 if arr.ndim >= 3 else 0] != channels:
            return None
        if channel_axis == 1 and arr.ndim == 1 and channels != 1:
            return None  # a [C] constant broadcasts over the last axis (W), not channels
        self.absorbed.add(users[0])
        return other[0], arr.reshape(channels).astype(np.float32), add.output[0]

    def read(self) -> SourceGraph:
        ops: list[SourceOp] = []
        unmapped: list[str] = []
        handlers = {"Conv": self._conv, "ConvTranspose": self._conv, "BatchNormalization": self._batch_norm,
                    "Gemm": self._gemm, "MatMul": self._matmul, "LSTM": self._lstm, "Mul": partial(mul_op, self),
                    "LayerNormalization": partial(layer_norm_op, self)}
        for i, node in enumerate(self.nodes):
            if i in self.absorbed or node.op_type in FOLDABLE and all(o in self.const for o in node.output if o):
                continue
            handler = handlers.get(node.op_type)
            op = handler(i) if handler else None
            if op is not None:
                ops.append(op)
                continue
            unmapped.extend(self._unmapped_weights(i))
        aliases, relayouts = {}, {}
        for node in self.nodes:
            if node.op_type in _ALIASES and node.input and node.output:
                aliases[node.output[0]] = node.input[0]
            elif node.op_type in _RELAYOUTS and node.input and node.output and node.input[0] not in self.const:
                relayouts[node.output[0]] = node.input[0]
        inputs = [v for v in self.graph.input if v.name not in self.const.values]
        dims = [d.dim_value if d.dim_value > 0 else -1 for d in inputs[0].type.tensor_type.shape.dim]
        return SourceGraph(path=self.path, format="onnx", files=[self.path], ops=ops,
                           input_name=inputs[0].name, input_shape=dims, unmapped=unmapped, aliases=aliases,
                           relayouts=relayouts)

    def _unmapped_weights(self, index: int) -> list[str]:
        node = self.nodes[index]
        found = []
        for pos, name in enumerate(node.input):
            if not name or name not in self.const or pos in SETTINGS_INPUTS.get(node.op_type, ()):
                continue
            arr = np.asarray(self.const.value(name))
            if np.issubdtype(arr.dtype, np.floating) and arr.size > 1 and not np.all(arr == arr.flat[0]):
                found.append(f"{name} {list(arr.shape)} (read by {node.op_type} '{self.name(index)}')")
        return found

    def _conv(self, index: int) -> SourceOp:
        node = self.nodes[index]
        a = attrs_of(node)
        w_name, weight = self.weight(index, 1, "weight")
        transpose = node.op_type == "ConvTranspose"
        groups = int(a.get("group", 1))
        channels = weight.shape[1] * groups if transpose else weight.shape[0]
        tensors, names = {"weight": weight}, {"weight": w_name}
        out = node.output[0]
        if len(node.input) > 2 and node.input[2]:
            names["bias"], tensors["bias"] = self.weight(index, 2, "bias")
        else:
            found = self.bias_add(index, out, channels, channel_axis=1)
            if found:
                names["bias"], tensors["bias"], out = found
        auto_pad = a.get("auto_pad", b"NOTSET")
        pads = [int(p) for p in a.get("pads", [0] * 4)] if auto_pad in (b"NOTSET", "NOTSET") else None
        attrs = {"groups": groups, "strides": [int(s) for s in a.get("strides", [1, 1])],
                 "dilations": [int(d) for d in a.get("dilations", [1, 1])], "pads": pads}
        if transpose:
            attrs["output_padding"] = [int(p) for p in a.get("output_padding", [0, 0])]
        return SourceOp("conv_transpose" if transpose else "conv", self.name(index), node.op_type, tensors, names,
                        attrs, input=node.input[0], output=out)

    def _batch_norm(self, index: int) -> SourceOp:
        node = self.nodes[index]
        a = attrs_of(node)
        if int(a.get("training_mode", 0)):
            raise DataError(f"{self.path}: BatchNormalization '{self.name(index)}' is in training mode")
        tensors, names = {}, {}
        for pos, role in enumerate(("scale", "bias", "mean", "variance"), start=1):
            names[role], tensors[role] = self.weight(index, pos, role)
        return SourceOp("batch_norm", self.name(index), node.op_type, tensors, names,
                        {"epsilon": float(a.get("epsilon", 1e-5))}, input=node.input[0], output=node.output[0])

    def _linear(self, index: int, w_name: str, weight: np.ndarray, bias: tuple[str, np.ndarray] | None) -> SourceOp:
        node = self.nodes[index]
        tensors, names = {"weight": weight}, {"weight": w_name}
        out = node.output[0]
        if bias is None:
            found = self.bias_add(index, out, weight.shape[1], channel_axis=-1)
            if found:
                bias = found[:2]
                out = found[2]
        if bias is not None:
            names["bias"], tensors["bias"] = bias
        return SourceOp("linear", self.name(index), node.op_type, tensors, names, {}, input=node.input[0],
                        output=out)

    def _matmul(self, index: int) -> SourceOp | None:
        node = self.nodes[index]
        if node.input[0] in self.const or node.input[1] not in self.const:
            return None  # activations times activations (or a constant on the left): not a Linear
        w_name, weight = self.weight(index, 1, "weight")
        if weight.ndim != 2:
            return None
        return self._linear(index, w_name, weight, None)

    def _gemm(self, index: int) -> SourceOp | None:
        node = self.nodes[index]
        a = attrs_of(node)
        if int(a.get("transA", 0)) or node.input[1] not in self.const:
            return None
        w_name, weight = self.weight(index, 1, "weight")
        if int(a.get("transB", 0)):
            weight = np.ascontiguousarray(weight.T)
        weight = weight * np.float32(a.get("alpha", 1.0))
        bias = None
        if len(node.input) > 2 and node.input[2]:
            b_name, b = self.weight(index, 2, "bias")
            bias = (b_name, (np.broadcast_to(b, (weight.shape[1],)) * np.float32(a.get("beta", 1.0)))
                    .astype(np.float32))
        return self._linear(index, w_name, weight, bias)

    def _lstm(self, index: int) -> SourceOp:
        node = self.nodes[index]
        a = attrs_of(node)
        where = f"{self.path}: LSTM '{self.name(index)}'"
        direction = a.get("direction", b"forward")
        direction = direction.decode() if isinstance(direction, bytes) else str(direction)
        if direction not in ("forward", "bidirectional"):
            raise ConfigError(f"{where}: direction {direction!r} has no Paddle nn.LSTM equivalent")
        acts = [x if isinstance(x, bytes) else str(x).encode() for x in a.get("activations", [])]
        if (acts and [x.lower() for x in acts] != [x.lower() for x in _LSTM_DEFAULT_ACTS] * (len(acts) // 3)) \
                or a.get("clip") is not None or int(a.get("input_forget", 0)) or int(a.get("layout", 0)):
            raise ConfigError(f"{where}: non-default activations/clip/input_forget/layout are not supported")
        if len(node.input) > 7 and node.input[7]:
            raise ConfigError(f"{where}: peephole weights have no Paddle nn.LSTM equivalent")
        hidden = int(a["hidden_size"])
        w_name, w = self.weight(index, 1, "W")
        r_name, r = self.weight(index, 2, "R")
        dirs = w.shape[0]
        if len(node.input) > 3 and node.input[3]:
            b_name, b = self.weight(index, 3, "B")
        else:
            b_name, b = "", np.zeros((dirs, 8 * hidden), dtype=np.float32)  # no B: zeros, listed as initialised
        tensors, names = {}, {}
        for d in range(dirs):
            parts = {"weight_ih": (w[d], w_name), "weight_hh": (r[d], r_name),
                     "bias_ih": (b[d, :4 * hidden], b_name), "bias_hh": (b[d, 4 * hidden:], b_name)}
            for role, (arr, src) in parts.items():
                key = lstm_role(0, d, role)
                tensors[key] = reorder_gates(arr, ONNX_TO_PADDLE_GATES)
                names[key] = f"{src}[{d}]" if src else ""
        attrs = {"num_layers": 1, "bidirectional": dirs == 2, "hidden_size": hidden}
        return SourceOp("lstm", self.name(index), node.op_type, tensors, names, attrs, input=node.input[0],
                        output=node.output[0], probe_layout="onnx_lstm")


def read_onnx(path: str | os.PathLike[str]) -> SourceGraph:
    """The parameterised ops of an ``.onnx`` file, in node (topological) order.

    Raises:
        DataError: missing, truncated or corrupt file; weights computed at run time.
        ConfigError: an LSTM variant Paddle's ``nn.LSTM`` cannot express.
    """
    return _Reader(os.fspath(path)).read()
