"""Paddle program ops (either format) -> the parameterised ``SourceOp`` s of a ``SourceGraph``.

Recognised, in program order:

- ``conv2d``/``depthwise_conv2d``/``conv2d_transpose``/``depthwise_conv2d_transpose`` reading
  a ``Filter`` parameter; a following ``elementwise_add`` of a per-channel parameter (Paddle 2:
  ``Y [C]``, ``axis=1``; PIR: ``reshape(bias, [1, -1, 1, 1])``) that is the output's only
  consumer becomes the op's bias;
- ``batch_norm`` (``Scale``/``Bias``/``Mean``/``Variance``, ``epsilon``);
- ``matmul_v2``/``matmul``/``mul`` with a 2-D parameter ``Y`` (+ ``elementwise_add`` of a
  ``[out]`` parameter): a Linear;
- ``rnn`` with ``mode == "LSTM"``: ``WeightList`` is every (layer, direction)'s
  ``[weight_ih, weight_hh]`` followed by every one's ``[bias_ih, bias_hh]``, gates already in
  Paddle's order;
- ``layer_norm`` (``Scale``/``Bias``, ``epsilon``);
- ``elementwise_mul`` of a one-element parameter whose only consumer is an ``elementwise_add``
  of another one-element parameter: a learnable affine block (``scale * x + bias``).

Every persistable parameter must be read by one of these; any other is reported unmapped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ppocr.errors import ConfigError
from ppocr.export.importing.graph import SourceGraph, SourceOp, conv_pads, lstm_role
from ppocr.export.importing.paddle_program import PaddleOp, PaddleProgram

_CONVS = ("conv2d", "depthwise_conv2d", "conv2d_transpose", "depthwise_conv2d_transpose")
_MATMULS = ("matmul_v2", "matmul", "mul")
_RESHAPES = ("reshape2", "reshape", "squeeze2", "unsqueeze2")
_ALIASES = ("assign", "dropout", "scale")
_RELAYOUTS = ("transpose2", "transpose", "reshape2", "reshape", "squeeze2", "squeeze", "unsqueeze2", "unsqueeze",
              "flatten_contiguous_range", "flatten")


class _Builder:
    def __init__(self, program: PaddleProgram, path: str) -> None:
        self.p, self.path = program, path
        self.ops = program.ops
        self.weights: dict[str, tuple[str, np.ndarray]] = {
            v: (program.param_names[v], a) for v, a in program.params.items()}
        self.used: set[str] = set()
        self.consumers: dict[str, list[int]] = {}
        self.absorbed: set[int] = set()
        for i, op in enumerate(self.ops):
            for values in op.inputs.values():
                for v in values:
                    self.consumers.setdefault(v, []).append(i)
            if op.type in _RESHAPES and op.first("X") in self.weights:
                self._fold_reshape(i, op)

    def _fold_reshape(self, index: int, op: PaddleOp) -> None:
        name, arr = self.weights[op.first("X")]
        shape = op.attrs.get("shape")
        if op.inputs.get("Shape") and op.first("Shape") in self.p.constants:
            shape = self.p.constants[op.first("Shape")].tolist()
        if op.type in ("squeeze2", "unsqueeze2") or not shape:
            return
        try:
            self.weights[op.outputs["Out"][0]] = (name, arr.reshape([int(s) for s in shape]))
        except ValueError:
            return
        self.absorbed.add(index)

    def take(self, value: str) -> tuple[str, np.ndarray]:
        name, arr = self.weights[value]
        self.used.add(name)
        return name, np.asarray(arr, dtype=np.float32)

    def bias_add(self, value: str, channels: int, conv: bool) -> tuple[str, np.ndarray, str] | None:
        users = self.consumers.get(value, [])
        if len(users) != 1 or self.ops[users[0]].type != "elementwise_add":
            return None
        add = self.ops[users[0]]
        other = add.first("Y") if add.first("X") == value else add.first("X")
        if other not in self.weights:
            return None
        arr = self.weights[other][1]
        if arr.size != channels:
            return None
        axis = int(add.attrs.get("axis", -1))
        if conv and not (arr.ndim == 4 and arr.shape[1] == channels or arr.ndim == 1 and (axis == 1 or channels == 1)):
            return None
        if not conv and arr.shape[-1] != channels:
            return None
        self.absorbed.add(users[0])
        name, arr = self.take(other)
        return name, arr.reshape(channels), add.outputs["Out"][0]

    def build(self) -> SourceGraph:
        handlers = {**{t: self._conv for t in _CONVS}, "batch_norm": self._batch_norm, "sync_batch_norm":
                    self._batch_norm, **{t: self._matmul for t in _MATMULS}, "rnn": self._rnn,
                    "layer_norm": self._layer_norm, "elementwise_mul": self._affine}
        ops: list[SourceOp] = []
        unmapped: list[str] = []
        for i, op in enumerate(self.ops):
            if i in self.absorbed:
                continue
            handler = handlers.get(op.type)
            made = handler(op) if handler else None
            if made is not None:
                ops.append(made)
                continue
            for values in op.inputs.values():
                for v in values:
                    if v in self.weights and self.weights[v][0] not in self.used:
                        unmapped.append(f"{self.weights[v][0]} (read by {op.type} '{op.name}')")
                        self.used.add(self.weights[v][0])
        unmapped += [f"{name} (read by no op)" for name in sorted(set(self.p.param_names.values()) - self.used)]
        aliases, relayouts = {}, {}
        for op in self.ops:
            source, out = op.first("X") or op.first("I0"), (op.outputs.get("Out") or [""])[0]
            if not source or not out or source in self.weights:
                continue
            if op.type in _ALIASES and not (op.type == "scale" and (op.attrs.get("scale", 1.0) != 1.0
                                                                    or op.attrs.get("bias", 0.0) != 0.0)):
                aliases[out] = source
            elif op.type in _RELAYOUTS:
                relayouts[out] = source
        return SourceGraph(path=self.path, format=self.p.format, files=list(self.p.files), ops=ops,
                           input_name=self.p.input_name, input_shape=list(self.p.input_shape), unmapped=unmapped,
                           aliases=aliases, relayouts=relayouts)

    def _check_layout(self, op: PaddleOp) -> None:
        layout = op.attrs.get("data_format") or op.attrs.get("data_layout") or "NCHW"
        if layout not in ("NCHW", "AnyLayout"):
            raise ConfigError(f"{self.path}: {op.type} '{op.name}' uses layout {layout}; only NCHW models import")

    def _conv(self, op: PaddleOp) -> SourceOp | None:
        if op.first("Filter") not in self.weights:
            return None
        self._check_layout(op)
        transpose = "transpose" in op.type
        w_name, weight = self.take(op.first("Filter"))
        groups = int(op.attrs.get("groups", 1) or 1)
        channels = weight.shape[1] * groups if transpose else weight.shape[0]
        tensors, names = {"weight": weight}, {"weight": w_name}
        out = op.first("Output")
        if op.inputs.get("Bias") and op.first("Bias") in self.weights:
            names["bias"], bias = self.take(op.first("Bias"))
            tensors["bias"] = bias.reshape(channels)
        else:
            found = self.bias_add(out, channels, conv=True)
            if found:
                names["bias"], tensors["bias"], out = found
        attrs: dict[str, Any] = {
            "groups": groups, "strides": [int(s) for s in op.attrs.get("strides", [1, 1])],
            "dilations": [int(d) for d in op.attrs.get("dilations", [1, 1])],
            "pads": conv_pads(op.attrs.get("paddings", [0, 0]), op.attrs.get("padding_algorithm", "EXPLICIT"))}
        if transpose:
            attrs["output_padding"] = [int(p) for p in op.attrs.get("output_padding") or [0, 0]]
        return SourceOp("conv_transpose" if transpose else "conv", op.name, op.type, tensors, names, attrs,
                        input=op.first("Input"), output=out)

    def _batch_norm(self, op: PaddleOp) -> SourceOp | None:
        slots = {"scale": "Scale", "bias": "Bias", "mean": "Mean", "variance": "Variance"}
        if any(op.first(s) not in self.weights for s in slots.values()):
            return None
        self._check_layout(op)
        tensors, names = {}, {}
        for role, slot in slots.items():
            names[role], tensors[role] = self.take(op.first(slot))
        return SourceOp("batch_norm", op.name, op.type, tensors, names,
                        {"epsilon": float(op.attrs.get("epsilon", 1e-5))}, input=op.first("X"),
                        output=op.outputs["Y"][0])

    def _layer_norm(self, op: PaddleOp) -> SourceOp | None:
        if any(op.first(slot) not in self.weights for slot in ("Scale", "Bias")):
            return None
        names, tensors = {}, {}
        for role, slot in (("scale", "Scale"), ("bias", "Bias")):
            names[role], tensors[role] = self.take(op.first(slot))
        return SourceOp("layer_norm", op.name, op.type, tensors, names,
                        {"epsilon": float(op.attrs.get("epsilon", 1e-5))}, input=op.first("X"),
                        output=op.outputs["Y"][0])

    def _affine(self, op: PaddleOp) -> SourceOp | None:
        """``scale * x`` (one-element ``scale``) followed by ``+ bias`` (one element), if that is what it is."""
        x, y = op.first("X"), op.first("Y")
        scale, data = (x, y) if x in self.weights else (y, x)
        if scale not in self.weights or data in self.weights or self.weights[scale][1].size != 1:
            return None
        out = op.outputs["Out"][0]
        users = self.consumers.get(out, [])
        if len(users) != 1 or self.ops[users[0]].type != "elementwise_add":
            return None
        add = self.ops[users[0]]
        bias = add.first("Y") if add.first("X") == out else add.first("X")
        if bias not in self.weights or self.weights[bias][1].size != 1:
            return None
        self.absorbed.add(users[0])
        names, tensors = {}, {}
        for role, value in (("scale", scale), ("bias", bias)):
            names[role], arr = self.take(value)
            tensors[role] = arr.reshape(1)
        return SourceOp("affine", op.name, op.type, tensors, names, {}, input=data, output=add.outputs["Out"][0])

    def _matmul(self, op: PaddleOp) -> SourceOp | None:
        if op.first("Y") not in self.weights or op.first("X") in self.weights:
            return None
        w_name, weight = self.take(op.first("Y"))
        if weight.ndim != 2:
            raise ConfigError(f"{self.path}: {op.type} '{op.name}' multiplies by a {weight.ndim}-D weight {w_name}; "
                              "only 2-D (Linear) weights import")
        if op.attrs.get("trans_y") or op.attrs.get("transpose_Y"):
            weight = np.ascontiguousarray(weight.T)
        if op.attrs.get("trans_x") or op.attrs.get("transpose_X"):
            raise ConfigError(f"{self.path}: {op.type} '{op.name}' transposes its input; not a Linear")
        alpha = float(op.attrs.get("alpha", 1.0) or 1.0)
        if alpha != 1.0:
            weight = weight * np.float32(alpha)
        tensors, names = {"weight": weight}, {"weight": w_name}
        out = op.outputs["Out"][0]
        found = self.bias_add(out, weight.shape[1], conv=False)
        if found:
            names["bias"], tensors["bias"], out = found
        return SourceOp("linear", op.name, op.type, tensors, names, {}, input=op.first("X"), output=out)

    def _rnn(self, op: PaddleOp) -> SourceOp | None:
        values = op.inputs.get("WeightList") or []
        if not values or any(v not in self.weights for v in values):
            return None
        mode = str(op.attrs.get("mode", "LSTM"))
        if mode != "LSTM":
            raise ConfigError(f"{self.path}: rnn '{op.name}' is a {mode}; only LSTMs import")
        layers, dirs = int(op.attrs.get("num_layers", 1)), 2 if op.attrs.get("is_bidirec") else 1
        if len(values) != 4 * layers * dirs:
            raise ConfigError(f"{self.path}: rnn '{op.name}' has {len(values)} weights, expected "
                              f"{4 * layers * dirs} (weight_ih, weight_hh, bias_ih, bias_hh per layer and direction)")
        half = 2 * layers * dirs
        tensors, names = {}, {}
        for k in range(layers * dirs):
            layer, direction = divmod(k, dirs)
            for j, role in enumerate(("weight_ih", "weight_hh")):
                key = lstm_role(layer, direction, role)
                names[key], tensors[key] = self.take(values[2 * k + j])
            for j, role in enumerate(("bias_ih", "bias_hh")):
                key = lstm_role(layer, direction, role)
                names[key], tensors[key] = self.take(values[half + 2 * k + j])
        attrs = {"num_layers": layers, "bidirectional": dirs == 2, "hidden_size": int(op.attrs.get("hidden_size", 0))}
        return SourceOp("lstm", op.name, op.type, tensors, names, attrs, input=op.first("Input"),
                        output=op.outputs["Out"][0], probe_layout="time_major")


def build_graph(program: PaddleProgram, path: str) -> SourceGraph:
    """The parameterised ops of ``program`` (read from the inference dir ``path``)."""
    return _Builder(program, path).build()
