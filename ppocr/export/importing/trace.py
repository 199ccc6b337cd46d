"""Our dygraph model's parameterised layers in the order its forward pass calls them.

Forward pre/post hooks on ``Conv2D``, ``Conv2DTranspose``, the BatchNorms, ``Linear``, ``LSTM``,
``LayerNorm`` and PPLCNetV3's ``LearnableAffineBlock`` record each call, which layer produced
its input (tensor identity), and on request its output, for the activation comparison that
names the first divergent layer. Each layer's parameters are listed under the importer's role
names (``graph`` module) with every state_dict key that refers to them: Paddle's LSTM
registers each weight twice (``weight_ih_l0`` and ``0.cell_fw.weight_ih``), both keys point at
one Parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import paddle
import paddle.nn as nn
from paddle.nn.layer.norm import _BatchNormBase

from ppocr.errors import ConfigError
from ppocr.export.importing.graph import conv_pads, lstm_role
from ppocr.modeling.backbones.rec_lcnetv3 import LearnableAffineBlock

_KINDS: tuple[tuple[type, str], ...] = (
    (nn.Conv2DTranspose, "conv_transpose"), (nn.Conv2D, "conv"), (_BatchNormBase, "batch_norm"),
    (nn.BatchNorm, "batch_norm"), (nn.Linear, "linear"), (nn.LSTM, "lstm"), (nn.LayerNorm, "layer_norm"),
    (LearnableAffineBlock, "affine"))


@dataclass
class TargetLayer:
    """One call of a parameterised layer of our model.

    Attributes:
        kind: the importer's op kind (``conv``, ``batch_norm``...).
        path: the layer's name in the model (``backbone.conv1._conv``, without sub-model prefix).
        layer: the layer.
        params: role -> Parameter (``weight``; ``scale``/``mean``...; ``l0.fw.weight_ih``...).
        keys: role -> every state_dict key of that Parameter (with the sub-model prefix).
        attrs: strides/pads/groups/epsilon/LSTM sizes to check against the source.
        producer: index of the traced layer whose output this call reads, if any.
    """

    kind: str
    path: str
    layer: Any
    params: dict[str, Any]
    keys: dict[str, list[str]]
    attrs: dict[str, Any] = field(default_factory=dict)
    producer: int | None = None

    def describe(self) -> str:
        shapes = ", ".join(f"{role} {list(p.shape)}" for role, p in list(self.params.items())[:4])
        more = f", +{len(self.params) - 4} more" if len(self.params) > 4 else ""
        return f"{self.path} ({type(self.layer).__name__}: {shapes}{more})"


def layer_kind(layer: Any) -> str | None:
    for cls, kind in _KINDS:
        if isinstance(layer, cls):
            return kind
    return None


def _roles(kind: str, layer: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(role -> Parameter, attrs) of one layer."""
    if kind in ("conv", "conv_transpose"):
        params = {"weight": layer.weight, "bias": layer.bias}
        attrs = {"groups": int(layer._groups), "strides": [int(s) for s in layer._stride],
                 "dilations": [int(d) for d in layer._dilation],
                 "pads": conv_pads(layer._updated_padding, layer._padding_algorithm)
                 if isinstance(layer._updated_padding, (list, tuple)) else None}
        if kind == "conv_transpose":
            pad = layer.output_padding
            attrs["output_padding"] = [int(pad)] * 2 if isinstance(pad, int) else [int(p) for p in pad]
    elif kind == "batch_norm":
        params = {"scale": layer.weight, "bias": layer.bias, "mean": layer._mean, "variance": layer._variance}
        attrs = {"epsilon": float(layer._epsilon)}
    elif kind == "linear":
        params = {"weight": layer.weight, "bias": layer.bias}
        attrs = {}
    elif kind == "layer_norm":
        params = {"scale": layer.weight, "bias": layer.bias}
        attrs = {"epsilon": float(layer._epsilon), "normalized_shape": [int(d) for d in layer._normalized_shape]}
    elif kind == "affine":
        params = {"scale": layer.scale, "bias": layer.bias}
        attrs = {}
    else:
        if getattr(layer, "proj_size", 0):
            raise ConfigError(f"LSTM with proj_size={layer.proj_size} cannot be imported")
        params = {}
        for k in range(layer.num_layers):
            for d in range(layer.num_directions):
                suffix = "_reverse" if d else ""
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    params[lstm_role(k, d, name)] = getattr(layer, f"{name}_l{k}{suffix}", None)
        attrs = {"num_layers": int(layer.num_layers), "bidirectional": layer.num_directions == 2,
                 "hidden_size": int(layer.hidden_size), "input_size": int(layer.input_size)}
    return {r: p for r, p in params.items() if p is not None}, attrs


class Tracer:
    """Hooks on ``model``'s parameterised layers; ``run(x)`` records the calls in order."""

    def __init__(self, model: nn.Layer, key_prefix: str = "") -> None:
        self.model = model
        self.key_prefix = key_prefix
        self.keys_of: dict[int, list[str]] = {}
        for key, tensor in model.state_dict().items():
            self.keys_of.setdefault(id(tensor), []).append(key_prefix + key)
        self.all_keys = [k for keys in self.keys_of.values() for k in keys]
        self.layers: list[TargetLayer] = []
        self.outputs: list[np.ndarray | None] = []
        self._index: dict[int, int] = {}
        self._made_by: dict[int, int] = {}
        self._keep: list[Any] = []
        self._capture = False
        self._tracing = False
        self.called: set[int] = set()
        self._names = {id(layer): name for name, layer in model.named_sublayers()}

    def _pre(self, layer, inputs):
        self.called.add(id(layer))
        if id(layer) in self._index:
            if self._tracing:
                raise ConfigError(f"layer {self._names[id(layer)]} runs twice in one forward pass (shared "
                                  "weights); the importer maps each layer once")
            return None
        kind = layer_kind(layer)
        params, attrs = _roles(kind, layer)
        keys = {role: self.keys_of.get(id(p), []) for role, p in params.items()}
        first = inputs[0] if inputs else None
        producer = self._made_by.get(id(first)) if first is not None else None
        self._keep.append(first)
        self._index[id(layer)] = len(self.layers)
        self.layers.append(TargetLayer(kind, self._names[id(layer)], layer, params, keys, attrs, producer))
        return None

    def _seen(self, layer, inputs):
        self.called.add(id(layer))
        return None

    def _post(self, layer, inputs, output):
        index = self._index[id(layer)]
        out = output[0] if isinstance(output, (tuple, list)) else output
        self._made_by[id(out)] = index
        self._keep.append(out)
        if self._capture:
            self.outputs[index] = out.numpy()
        return None

    def run(self, x: np.ndarray, capture: bool = False) -> Any:
        """Forward ``x`` (eval mode, no grad) with the hooks on; returns the model's output.

        The first call fixes ``layers``; with ``capture`` each layer's output is kept in
        ``outputs`` (numpy, same order).
        """
        handles = []
        for layer in self.model.sublayers():
            if layer_kind(layer) is not None:
                handles.append(layer.register_forward_pre_hook(self._pre))
                handles.append(layer.register_forward_post_hook(self._post))
            elif not self.layers:
                handles.append(layer.register_forward_pre_hook(self._seen))
        fresh = not self.layers
        self._tracing = fresh
        self._capture = capture and not fresh
        if self._capture:
            self.outputs = [None] * len(self.layers)
        try:
            self.model.eval()
            with paddle.no_grad():
                return self.model(paddle.to_tensor(x))
        finally:
            for h in handles:
                h.remove()
            self._keep.clear()
            self._made_by.clear()
            self._tracing = self._capture = False

    def uncovered_keys(self) -> list[str]:
        """state_dict keys no traced layer owns (layers of other types, or never called)."""
        covered = {k for layer in self.layers for keys in layer.keys.values() for k in keys}
        return [k for k in self.all_keys if k not in covered]

    def owner_of(self, key: str) -> tuple[str, bool]:
        """(``backbone.x (PReLU)``, whether it ran in the traced forward pass) for the layer holding ``key``."""
        name = key[len(self.key_prefix):].rsplit(".", 1)[0]
        best = ("", None)
        for layer_name, layer in self.model.named_sublayers():
            if (name == layer_name or name.startswith(layer_name + ".")) and len(layer_name) >= len(best[0]):
                best = (layer_name, layer)
        layer = best[1]
        if layer is None:
            return f"the model itself ({type(self.model).__name__})", True
        return f"{best[0]} ({type(layer).__name__})", id(layer) in self.called
