"""Read a Paddle 3 PIR inference dir (``inference.json`` + ``inference.pdiparams``) as ``PaddleOp`` s.

``inference.json`` is PIR's JSON serialisation (``base_code.magic == "pir"``): the program's
first block lists ops in execution order. Parameter ops (``"#": "p"``) name a weight and
give it a value id (``O["%"]``), its dims (``O.TT.D[1]``) and, first in ``OA``, whether it is
persistable; other ops are ``"<dialect>.<name>"`` with positional inputs ``I`` and outputs
``O`` (value ids) and attributes ``A`` (``{"N": name, "AT": {"#": type, "D": value}}``).
``combine`` ops pack values into a vector (the LSTM's weight list). The persistable
parameters, sorted by name, are the records of ``.pdiparams`` (as for Paddle 2).

Ops are turned into Paddle 2 spelling (``add`` -> ``elementwise_add``, ``matmul`` ->
``matmul_v2``, positional inputs -> slot names) so one builder serves both formats.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from ppocr.errors import DataError
from ppocr.export.importing.paddle_program import PaddleOp, PaddleProgram
from ppocr.export.importing.pdiparams import read_pdiparams

MAX_JSON_BYTES = 1 << 30
_PARAM_OPS = ("p", "0.parameter", "1.parameter")
# Positional inputs/outputs -> Paddle 2 slot names, for the ops the builder reads.
_IN_SLOTS = {
    "conv2d": ("Input", "Filter"), "depthwise_conv2d": ("Input", "Filter"),
    "conv2d_transpose": ("Input", "Filter", "OutputSize"), "depthwise_conv2d_transpose": ("Input", "Filter", "OutputSize"),
    "batch_norm": ("X", "Mean", "Variance", "Scale", "Bias"), "matmul_v2": ("X", "Y"),
    "elementwise_add": ("X", "Y"), "elementwise_mul": ("X", "Y"), "layer_norm": ("X", "Scale", "Bias"),
    "rnn": ("Input", "PreState", "WeightList", "SequenceLength", "DropoutState"), "reshape2": ("X", "Shape"),
}
_OUT_SLOTS = {"conv2d": ("Output",), "depthwise_conv2d": ("Output",), "conv2d_transpose": ("Output",),
              "depthwise_conv2d_transpose": ("Output",), "batch_norm": ("Y",), "rnn": ("Out",),
              "layer_norm": ("Y", "Mean", "Variance")}
_TYPES = {"add": "elementwise_add", "matmul": "matmul_v2", "batch_norm_": "batch_norm", "reshape": "reshape2",
          "multiply": "elementwise_mul"}
_ATTRS = {"transpose_x": "trans_x", "transpose_y": "trans_y"}


def _decode(at: dict[str, Any]) -> Any:
    kind, data = at.get("#", ""), at.get("D")
    if kind.endswith("a_array"):
        return [_decode(x) for x in data]
    return data


def _value_ids(entries: Any) -> list[int]:
    if isinstance(entries, dict):
        entries = [entries]
    return [int(e.get("%", 0)) for e in entries or []]


def _tensor_type(entry: dict[str, Any]) -> list[int]:
    try:
        return [int(d) for d in entry["TT"]["D"][1]]
    except (KeyError, IndexError, TypeError):
        return []


def load_pir_json(path: str) -> dict[str, Any]:
    """The parsed ``inference.json`` (a DataError names the file if it is not PIR JSON)."""
    size = os.path.getsize(path)
    if size > MAX_JSON_BYTES:
        raise DataError(f"{path}: {size:,} bytes is more than a PIR program of an OCR model holds")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if data["base_code"]["magic"] != "pir":
            raise KeyError("magic")
        data["program"]["regions"][0]["blocks"][0]["ops"]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable PIR program (truncated or corrupt JSON: {exc})") from exc
    except (KeyError, IndexError, TypeError) as exc:
        raise DataError(f"{path}: not a Paddle PIR program (missing {exc})") from exc
    return data


def block_ops(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["program"]["regions"][0]["blocks"][0]["ops"]


def read_pir(model_dir: str) -> PaddleProgram:
    """Parse ``model_dir/inference.json`` and read the matching ``.pdiparams``.

    Raises:
        DataError: a missing, truncated or corrupt file, or params that do not fit the graph.
    """
    graph_path = os.path.join(model_dir, "inference.json")
    params_path = os.path.join(model_dir, "inference.pdiparams")
    raw_ops = block_ops(load_pir_json(graph_path))
    param_values: dict[str, str] = {}  # value -> parameter name
    dims: dict[str, list[int]] = {}
    combine: dict[str, list[str]] = {}
    constants: dict[str, np.ndarray] = {}
    ops: list[PaddleOp] = []
    input_name, input_shape = "", []
    for index, op in enumerate(raw_ops):
        kind = op.get("#", "")
        if kind in _PARAM_OPS:
            out = (op.get("O") or {})
            out = out[0] if isinstance(out, list) else out
            persistable = (op.get("OA") or [1])[0]
            if persistable:
                value = f"%{int(out['%'])}"
                param_values[value] = str(op["A"][-1])
                dims[value] = _tensor_type(out)
            continue
        op_type = kind.split(".", 1)[-1]
        op_type = _TYPES.get(op_type, op_type)
        attrs = {a["N"]: _decode(a["AT"]) for a in op.get("A") or [] if "N" in a and "AT" in a}
        attrs = {_ATTRS.get(k, k): v for k, v in attrs.items()}
        ins = [f"%{i}" for i in _value_ids(op.get("I"))]
        outs = [f"%{i}" for i in _value_ids(op.get("O"))]
        if op_type == "combine":
            combine[outs[0]] = ins
            continue
        if op_type == "data":
            input_name = input_name or str(attrs.get("name", "x"))
            input_shape = [int(d) for d in attrs.get("shape") or []]
            continue
        if op_type == "full_int_array":
            constants[outs[0]] = np.asarray(attrs.get("value") or [], dtype=np.int64)
            continue
        if op_type == "fetch":
            continue
        in_slots = _IN_SLOTS.get(op_type, ())
        inputs = {}
        for pos, value in enumerate(ins):
            slot = in_slots[pos] if pos < len(in_slots) else f"I{pos}"
            inputs[slot] = combine.get(value, [value]) if value != "%0" else []
        out_slots = _OUT_SLOTS.get(op_type, ("Out",))
        outputs = {(out_slots[pos] if pos < len(out_slots) else f"O{pos}"): [v] for pos, v in enumerate(outs)}
        where = str(attrs.pop("struct_name", "") or "")
        ops.append(PaddleOp(op_type, inputs, outputs, attrs, name=f"#{index} {where}".strip()))
    if not ops or not input_name:
        raise DataError(f"{graph_path}: the PIR program has no data op or no ops (not an inference program)")
    order = sorted(param_values, key=lambda v: param_values[v])
    arrays = read_pdiparams(params_path, [(param_values[v], dims[v]) for v in order])
    params = {v: arrays[param_values[v]] for v in order}
    return PaddleProgram(format="paddle-pir", files=[graph_path, params_path], ops=ops, params=params,
                         param_names=param_values, constants=constants, input_name=input_name,
                         input_shape=input_shape)
