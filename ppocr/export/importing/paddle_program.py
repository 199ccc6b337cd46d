"""Read a Paddle 2 inference dir (``inference.pdmodel`` + ``inference.pdiparams``) as ``PaddleOp`` s.

The ``.pdmodel`` is a ``ProgramDesc`` protobuf, parsed with the message classes Paddle ships
(``paddle.base.proto.framework_pb2``); nothing in it runs. Block 0 holds the ops in execution
order and the variable descs; the persistable ones (minus ``feed``/``fetch``), sorted by name,
are the records of ``.pdiparams``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ppocr.errors import DataError
from ppocr.export.importing.pdiparams import read_pdiparams


@dataclass
class PaddleOp:
    """One op of a Paddle program, in Paddle 2 spelling whichever format it came from.

    ``inputs``/``outputs`` map slot names (``Input``, ``Filter``, ``X``...) to value names;
    ``name`` is what messages call it (its first output, or the PIR op's layer path).
    """

    type: str
    inputs: dict[str, list[str]]
    outputs: dict[str, list[str]]
    attrs: dict[str, Any] = field(default_factory=dict)
    name: str = ""

    def first(self, slot: str) -> str:
        values = self.inputs.get(slot) or self.outputs.get(slot) or []
        return values[0] if values else ""


@dataclass
class PaddleProgram:
    """What ``paddle_ops.build_graph`` needs from either Paddle format.

    ``params`` maps value -> array, ``param_names`` value -> the parameter's name in the
    file, ``constants`` value -> small int arrays the program builds (PIR ``full_int_array``).
    """

    format: str
    files: list[str]
    ops: list[PaddleOp]
    params: dict[str, np.ndarray]
    param_names: dict[str, str]
    constants: dict[str, np.ndarray]
    input_name: str
    input_shape: list[int]


def _attr_value(attr) -> Any:
    from paddle.base.proto.framework_pb2 import AttrType

    kind = AttrType.Name(attr.type)
    simple = {"INT": "i", "FLOAT": "f", "STRING": "s", "BOOLEAN": "b", "LONG": "l", "FLOAT64": "float64"}
    lists = {"INTS": "ints", "FLOATS": "floats", "STRINGS": "strings", "BOOLEANS": "bools", "LONGS": "longs",
             "FLOAT64S": "float64s"}
    if kind in simple:
        return getattr(attr, simple[kind])
    if kind in lists:
        return list(getattr(attr, lists[kind]))
    return None


def read_program(model_dir: str) -> PaddleProgram:
    """Parse ``model_dir/inference.pdmodel`` and read the matching ``.pdiparams``.

    Raises:
        DataError: a missing, truncated or corrupt file, or params that do not fit the graph.
    """
    from google.protobuf.message import DecodeError
    from paddle.base.proto.framework_pb2 import ProgramDesc, VarType

    graph_path = os.path.join(model_dir, "inference.pdmodel")
    params_path = os.path.join(model_dir, "inference.pdiparams")
    with open(graph_path, "rb") as f:
        data = f.read()
    try:
        program = ProgramDesc.FromString(data)
    except DecodeError as exc:
        raise DataError(f"{graph_path}: not a Paddle program (the {len(data):,}-byte protobuf does not parse: "
                        "truncated or corrupt)") from exc
    if not program.blocks or not program.blocks[0].ops:
        raise DataError(f"{graph_path}: not a Paddle inference program (no operators)")
    block = program.blocks[0]
    variables = {v.name: v for v in block.vars}
    persistable = sorted(v.name for v in block.vars
                         if v.persistable and v.type.type == VarType.DENSE_TENSOR and v.name not in ("feed", "fetch"))
    expected = [(name, list(variables[name].type.dense_tensor.tensor.dims)) for name in persistable]
    params = read_pdiparams(params_path, expected)
    ops, input_name = [], ""
    for op in block.ops:
        inputs = {slot.parameter: list(slot.arguments) for slot in op.inputs}
        outputs = {slot.parameter: list(slot.arguments) for slot in op.outputs}
        if op.type == "feed":
            input_name = input_name or (outputs.get("Out") or [""])[0]
            continue
        if op.type == "fetch":
            continue
        attrs = {a.name: _attr_value(a) for a in op.attrs if a.name not in ("op_callstack", "op_namescope")}
        named = [outputs.get(slot) for slot in ("Out", "Output", "Y")] + list(outputs.values())
        first_out = next((vals[0] for vals in named if vals), op.type)
        ops.append(PaddleOp(op.type, inputs, outputs, attrs, name=first_out))
    if not input_name:
        raise DataError(f"{graph_path}: the program has no feed op (not an inference program)")
    shape = [int(d) for d in variables[input_name].type.dense_tensor.tensor.dims]
    return PaddleProgram(format="paddle", files=[graph_path, params_path], ops=ops, params=params,
                         param_names={n: n for n in params}, constants={}, input_name=input_name,
                         input_shape=shape)
