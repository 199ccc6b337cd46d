"""Pair the source's parameterised ops with our model's layers, one by one, and fill the weights.

Both lists are in execution order (the source file's node order; our forward-call order).
At every step the op kind must agree, every tensor's shape, a conv's groups/strides/
dilations/pads, a BatchNorm's epsilon, an LSTM's sizes; and the data flow: when our layer
reads the output of another parameterised layer, the source op must read the output of the
op paired with that layer (and the other way round). Special cases:

- a source conv with a bias where our conv has none and feeds a BatchNorm straight away,
  while the source has no BatchNorm there: a converter fused conv+BN. The conv weight loads,
  our BN becomes the identity with ``beta = bias`` (scale 1, mean 0, variance ``1 - eps``);
- our conv/Linear has a bias the source op lacks: it is set to zeros (listed as initialised);
- one LSTM of ours (``num_layers`` layers) may be several consecutive source LSTM ops;
- a LayerNorm's epsilon and normalized size must agree; an affine block (two scalars) maps as is.

Anything left on either side, or a state_dict key no pair fills, stops the import with a
``ConfigError`` naming our layer and the source op.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ppocr.errors import ConfigError
from ppocr.export.importing.graph import SourceGraph
from ppocr.export.importing.trace import TargetLayer

_EPS_RTOL = 1e-4


@dataclass
class TensorMap:
    """One source tensor written to one of our parameters (``keys``: all its state_dict names)."""

    source_op: str
    source_tensor: str
    keys: list[str]
    shape: list[int]
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {"source_op": self.source_op, "source_tensor": self.source_tensor, "keys": self.keys,
               "shape": self.shape}
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Pair:
    """Source ops and our layers that compute the same thing (indices into both lists)."""

    sources: list[int]
    targets: list[int]


@dataclass
class MappingResult:
    tensors: list[TensorMap] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    initialised: list[str] = field(default_factory=list)
    fused: list[str] = field(default_factory=list)
    assignments: list[tuple[Any, np.ndarray]] = field(default_factory=list)

    @property
    def keys_mapped(self) -> int:
        """state_dict keys loaded from a source tensor (``initialised`` ones not counted)."""
        return sum(len(t.keys) for t in self.tensors)


class _Mapper:
    def __init__(self, graph: SourceGraph, layers: list[TargetLayer], where: str) -> None:
        self.graph, self.layers, self.where = graph, layers, where
        self.ops = graph.ops
        self.made_by = graph.producer_of()
        self.result = MappingResult()
        self.pair_of_target: dict[int, int] = {}
        self.pair_of_source: dict[int, int] = {}
        self.filled: dict[int, str] = {}

    # ------------------------------------------------------------------ errors
    def fail(self, i: int | None, j: int | None, reason: str) -> ConfigError:
        ours = f"our layer #{i} {self.layers[i].describe()}" if i is not None and i < len(self.layers) else ""
        theirs = f"source op #{j} {self.ops[j].describe()}" if j is not None and j < len(self.ops) else ""
        last = ""
        if self.result.pairs:
            p = self.result.pairs[-1]
            last = (f" (last matched: our {self.layers[p.targets[-1]].path} = source "
                    f"{self.ops[p.sources[-1]].op_type} '{self.ops[p.sources[-1]].name}')")
        sides = " vs ".join(x for x in (ours, theirs) if x)
        return ConfigError(f"{self.where}: {reason}: {sides}{last}")

    # ------------------------------------------------------------------ filling
    def put(self, i: int, j: int, role: str, array: np.ndarray, src_name: str, note: str = "") -> None:
        layer, s = self.layers[i], self.ops[j]
        param = layer.params[role]
        if list(array.shape) != list(param.shape):
            raise self.fail(i, j, f"{role} shape {list(array.shape)} in the source, {list(param.shape)} in our model")
        if id(param) in self.filled:
            raise self.fail(i, j, f"{layer.keys[role][0]} is filled twice ({self.filled[id(param)]} and {s.name})")
        self.filled[id(param)] = s.name
        self.result.assignments.append((param, array))
        if src_name:
            self.result.tensors.append(TensorMap(f"{s.op_type} '{s.name}'", src_name, list(layer.keys[role]),
                                                 list(array.shape), note))
        else:
            self.result.initialised.extend(layer.keys[role])

    # ------------------------------------------------------------------ checks
    def check_flow(self, i: int, j: int) -> None:
        """Our layer and the source op must read their data from paired producers.

        Our layer reads another layer's output tensor itself, or something computed from it;
        the source may re-layout values between ops where our layers do so inside (an
        LSTM's time-major output): when ours reads a producer directly, the source's
        producer is found through re-layout ops too; when the source reads one directly
        (copies aside), ours must read its partner directly.
        """
        t, s = self.layers[i], self.ops[j]
        direct = self.made_by.get(self.graph.resolve(s.input, through_relayouts=False))
        relaid = self.made_by.get(self.graph.resolve(s.input, through_relayouts=True))
        ours = self.pair_of_target.get(t.producer) if t.producer is not None else None
        src_prod = direct if direct is not None else relaid if ours is not None else None
        theirs = self.pair_of_source.get(src_prod) if src_prod is not None else None
        if ours == theirs:
            return
        said_ours = f"the output of our {self.layers[t.producer].path}" if t.producer is not None else \
            "a tensor no parameterised layer made"
        said_theirs = f"the output of {self.ops[src_prod].op_type} '{self.ops[src_prod].name}'" \
            if src_prod is not None else "a value no parameterised op made"
        raise self.fail(i, j, f"the graphs are wired differently (ours reads {said_ours}; the source reads "
                              f"{said_theirs})")

    def check_attrs(self, i: int, j: int, names: tuple[str, ...]) -> None:
        t, s = self.layers[i], self.ops[j]
        for name in names:
            a, b = t.attrs.get(name), s.attrs.get(name)
            if a is not None and b is not None and a != b:
                raise self.fail(i, j, f"{name} {b} in the source, {a} in our model")

    # ------------------------------------------------------------------ pairs
    def add_pair(self, sources: list[int], targets: list[int]) -> None:
        self.result.pairs.append(Pair(sources, targets))
        for j in sources:
            self.pair_of_source[j] = len(self.result.pairs) - 1
        for i in targets:
            self.pair_of_target[i] = len(self.result.pairs) - 1

    def conv(self, i: int, j: int) -> int:
        """Returns how many of our layers the pair used (2 when conv+BN was fused in the source)."""
        t, s = self.layers[i], self.ops[j]
        self.check_attrs(i, j, ("groups", "strides", "dilations", "pads", "output_padding"))
        self.put(i, j, "weight", s.tensors["weight"], s.tensor_names["weight"])
        if "bias" in t.params:
            if "bias" in s.tensors:
                self.put(i, j, "bias", s.tensors["bias"], s.tensor_names["bias"])
            else:
                self.put(i, j, "bias", np.zeros(t.params["bias"].shape, np.float32), "")
            return 1
        if "bias" not in s.tensors:
            return 1
        nxt = self.layers[i + 1] if i + 1 < len(self.layers) else None
        src_next = self.ops[j + 1] if j + 1 < len(self.ops) else None
        source_has_bn = src_next is not None and src_next.kind == "batch_norm" and src_next.input == s.output
        if nxt is None or nxt.kind != "batch_norm" or nxt.producer != i or source_has_bn:
            raise self.fail(i, j, "the source conv has a bias, ours has none and is not followed by a BatchNorm "
                                  "the source lacks (no conv+BN fusion to undo)")
        eps = nxt.attrs["epsilon"]
        bias = s.tensors["bias"]
        channels = bias.shape[0]
        self.put(i + 1, j, "bias", bias, s.tensor_names["bias"], note="conv bias of a fused conv+BN -> BN beta")
        for role, value in (("scale", 1.0), ("mean", 0.0), ("variance", 1.0 - eps)):
            if role in nxt.params:
                self.put(i + 1, j, role, np.full((channels,), value, np.float32), "")
        self.result.fused.append(f"{s.op_type} '{s.name}' -> {t.path} + {nxt.path} (BN set to identity, beta = bias)")
        return 2

    def norm(self, i: int, j: int, roles: tuple[str, ...], what: str) -> None:
        """A BatchNorm or LayerNorm: epsilon must agree; a role our layer lacks must be constant there."""
        t, s = self.layers[i], self.ops[j]
        a, b = t.attrs["epsilon"], s.attrs["epsilon"]
        if abs(a - b) > _EPS_RTOL * max(abs(a), abs(b)):
            raise self.fail(i, j, f"epsilon {b:g} in the source, {a:g} in our model")
        for role in roles:
            if role in t.params:
                self.put(i, j, role, s.tensors[role], s.tensor_names[role])
            elif not np.allclose(s.tensors[role], 1.0 if role == "scale" else 0.0):
                raise self.fail(i, j, f"our {what} has no {role} parameter but the source's is not constant")

    def batch_norm(self, i: int, j: int) -> None:
        self.norm(i, j, ("scale", "bias", "mean", "variance"), "BatchNorm")

    def linear(self, i: int, j: int) -> None:
        t, s = self.layers[i], self.ops[j]
        self.put(i, j, "weight", s.tensors["weight"], s.tensor_names["weight"])
        if "bias" in t.params:
            bias = s.tensors.get("bias")
            self.put(i, j, "bias", bias if bias is not None else np.zeros(t.params["bias"].shape, np.float32),
                     s.tensor_names.get("bias", ""))
        elif "bias" in s.tensors:
            raise self.fail(i, j, "the source Linear has a bias, ours has none")

    def layer_norm(self, i: int, j: int) -> None:
        self.norm(i, j, ("scale", "bias"), "LayerNorm")

    def affine(self, i: int, j: int) -> None:
        for role in ("scale", "bias"):
            self.put(i, j, role, self.ops[j].tensors[role], self.ops[j].tensor_names[role])

    def lstm(self, i: int, j: int) -> int:
        """Fill our LSTM from consecutive source LSTM ops; returns how many it used."""
        t = self.layers[i]
        want, used, layer = t.attrs["num_layers"], 0, 0
        while layer < want:
            k = j + used
            if k >= len(self.ops) or self.ops[k].kind != "lstm":
                raise self.fail(i, k, f"our LSTM has {want} layers, the source's LSTM ops give {layer}")
            s = self.ops[k]
            if s.attrs["bidirectional"] != t.attrs["bidirectional"] or s.attrs["hidden_size"] != t.attrs["hidden_size"]:
                raise self.fail(i, k, f"LSTM hidden_size {s.attrs['hidden_size']}, bidirectional "
                                      f"{s.attrs['bidirectional']} in the source; {t.attrs['hidden_size']}, "
                                      f"{t.attrs['bidirectional']} in our model")
            for role, array in s.tensors.items():
                head, rest = role.split(".", 1)
                ours = f"l{int(head[1:]) + layer}.{rest}"
                if ours not in t.params:
                    raise self.fail(i, k, f"the source has LSTM tensor {role} (our layer {ours}) that our LSTM lacks")
                note = "gates reordered i,o,f,c -> i,f,c,o" if s.probe_layout == "onnx_lstm" else ""
                self.put(i, k, ours, array, s.tensor_names[role], note=note)
            layer += s.attrs["num_layers"]
            used += 1
        if layer != want:
            raise self.fail(i, j + used - 1, f"our LSTM has {want} layers, the source's LSTM ops give {layer}")
        return used

    def run(self) -> MappingResult:
        i = j = 0
        while i < len(self.layers) and j < len(self.ops):
            t, s = self.layers[i], self.ops[j]
            if t.kind != s.kind:
                raise self.fail(i, j, f"op kinds differ ({t.kind} in our model, {s.kind} in the source)")
            self.check_flow(i, j)
            if t.kind in ("conv", "conv_transpose"):
                n_t, n_s = self.conv(i, j), 1
            elif t.kind == "batch_norm":
                self.batch_norm(i, j)
                n_t, n_s = 1, 1
            elif t.kind in ("linear", "layer_norm", "affine"):
                getattr(self, t.kind)(i, j)
                n_t, n_s = 1, 1
            else:
                n_t, n_s = 1, self.lstm(i, j)
            self.add_pair(list(range(j, j + n_s)), list(range(i, i + n_t)))
            i, j = i + n_t, j + n_s
        if i < len(self.layers):
            raise self.fail(i, None, "the source has no op left for our layer")
        if j < len(self.ops):
            raise self.fail(None, j, "our model has no layer left for the source op")
        for i, layer in enumerate(self.layers):
            for role, param in layer.params.items():
                if id(param) not in self.filled:
                    raise self.fail(i, None, f"{layer.keys[role][0]} was not filled")
        return self.result


def map_graph(graph: SourceGraph, layers: list[TargetLayer], where: str) -> MappingResult:
    """Pair ``graph.ops`` with ``layers`` (see the module docstring); nothing is written yet.

    Raises:
        ConfigError: the first pair that does not fit, naming both sides.
    """
    return _Mapper(graph, layers, where).run()


def apply(result: MappingResult) -> None:
    """Write the paired tensors into the model's parameters."""
    for param, array in result.assignments:
        param.set_value(np.ascontiguousarray(array).astype(param.numpy().dtype, copy=False))
