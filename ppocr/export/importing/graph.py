"""The source model as the importer sees it: its parameterised ops in graph order.

Every reader (ONNX, Paddle ProgramDesc, Paddle PIR) produces the same ``SourceGraph`` so that
mapping and verification do not care where the weights came from. Tensors are stored in
our (Paddle dygraph) layout under fixed role names:

- ``conv`` / ``conv_transpose``: ``weight`` (``[O, I/g, kh, kw]`` / ``[I, O/g, kh, kw]``),
  optional ``bias`` ``[O]``; attrs ``groups``, ``strides``, ``dilations``, ``pads``
  (``[top, left, bottom, right]``, or ``None`` when the file says SAME/VALID).
- ``batch_norm``: ``scale``, ``bias``, ``mean``, ``variance`` ``[C]``; attr ``epsilon``.
- ``linear``: ``weight`` ``[in, out]``, optional ``bias`` ``[out]``.
- ``lstm``: ``l{k}.{fw|bw}.{weight_ih|weight_hh|bias_ih|bias_hh}`` in Paddle's gate order
  (i, f, c, o); attrs ``num_layers``, ``bidirectional``, ``hidden_size``. A source may split
  one of our LSTMs into several ops (ONNX: one per layer); mapping joins consecutive ones.
- ``layer_norm``: ``scale``, ``bias`` ``[C]`` over the last axis; attr ``epsilon``.
- ``affine``: ``scale``, ``bias`` ``[1]``: ``scale * x + bias`` with two learnable scalars
  (PPLCNetV3's learnable affine blocks; a multiply then an add of one-element weights).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

KINDS = ("conv", "conv_transpose", "batch_norm", "linear", "lstm", "layer_norm", "affine")


@dataclass
class SourceOp:
    """One parameterised op of the source graph.

    Attributes:
        kind: one of ``KINDS``.
        name: the op's name in the file (ONNX node name; Paddle output variable).
        op_type: the op type as the file spells it (``Conv``, ``depthwise_conv2d``...).
        tensors: role -> array in our layout (see the module docstring).
        tensor_names: role -> the tensor's name in the file (for the report).
        attrs: op attributes normalised as described above.
        input: the value the op reads its data from.
        output: the value it produces, after any bias Add the reader folded in.
        probe_layout: how to turn ``output`` into our layer's output layout for activation
            checks: ``""`` (same), ``"onnx_lstm"`` (``[T, D, N, H]``), ``"time_major"``
            (``[T, N, D*H]``).
    """

    kind: str
    name: str
    op_type: str
    tensors: dict[str, np.ndarray]
    tensor_names: dict[str, str]
    attrs: dict[str, Any] = field(default_factory=dict)
    input: str = ""
    output: str = ""
    probe_layout: str = ""

    def describe(self) -> str:
        """``Conv 'Conv_3' (weight [16, 8, 1, 1], bias [16])``: what error messages show."""
        shapes = ", ".join(f"{role} {list(a.shape)}" for role, a in list(self.tensors.items())[:4])
        more = f", +{len(self.tensors) - 4} more" if len(self.tensors) > 4 else ""
        return f"{self.op_type} '{self.name}' ({shapes}{more})"


@dataclass
class SourceGraph:
    """A source model: its parameterised ops in file (topological) order plus what runs it.

    Attributes:
        path: the ``.onnx`` file or the Paddle inference dir.
        format: ``onnx``, ``paddle`` (``inference.pdmodel``) or ``paddle-pir`` (``inference.json``).
        files: the files read (graph, and params for Paddle).
        ops: parameterised ops in order.
        input_name: the image input.
        input_shape: its declared shape, ``-1`` for dynamic dimensions.
        unmapped: weights no supported op reads, as ``"tensor (read by OpType 'name')"``;
            a non-empty list stops the import (those weights would be lost).
        aliases: output -> input of ops that pass their input on unchanged (Identity,
            inference-mode Dropout, assign).
        relayouts: output -> input of ops that only move data (Transpose, Reshape,
            Squeeze...), e.g. between an LSTM's time-major output and the next Linear.
    """

    path: str
    format: str
    files: list[str]
    ops: list[SourceOp]
    input_name: str
    input_shape: list[int]
    unmapped: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    relayouts: dict[str, str] = field(default_factory=dict)

    def producer_of(self) -> dict[str, int]:
        """value name -> index of the op in ``ops`` that produces it."""
        return {op.output: i for i, op in enumerate(self.ops) if op.output}

    def resolve(self, value: str, through_relayouts: bool) -> str:
        """The value ``value`` is a copy (or, optionally, a re-layout) of."""
        seen = set()
        while value not in seen:
            seen.add(value)
            if value in self.aliases:
                value = self.aliases[value]
            elif through_relayouts and value in self.relayouts:
                value = self.relayouts[value]
            else:
                break
        return value


# ONNX packs LSTM gates as (i, o, f, c); Paddle as (i, f, c, o).
ONNX_TO_PADDLE_GATES = (0, 2, 3, 1)


def reorder_gates(array: np.ndarray, order: tuple[int, ...], axis: int = 0) -> np.ndarray:
    """Split ``array`` into 4 gate blocks along ``axis`` and put them in ``order``."""
    blocks = np.split(array, 4, axis=axis)
    return np.ascontiguousarray(np.concatenate([blocks[i] for i in order], axis=axis))


def lstm_role(layer: int, direction: int, name: str) -> str:
    """``l0.fw.weight_ih``: the role of one LSTM tensor (direction 0 = forward, 1 = backward)."""
    return f"l{layer}.{'bw' if direction else 'fw'}.{name}"


def conv_pads(paddings: list[int], algorithm: str = "EXPLICIT") -> list[int] | None:
    """Paddle's ``paddings`` (``[h, w]`` or ``[top, bottom, left, right]``) as ``[top, left, bottom, right]``."""
    if str(algorithm).upper() in ("SAME", "VALID"):
        return None
    p = [int(v) for v in paddings]
    if len(p) == 2:
        return [p[0], p[1], p[0], p[1]]
    if len(p) == 4:
        return [p[0], p[2], p[1], p[3]]
    return None
