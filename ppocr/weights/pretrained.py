"""Load a weight file into a model by key, with a report of what matched."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import paddle

from ppocr.errors import ConfigError, DataError
from ppocr.weights.state_dict_io import NAME_TABLE, find_weights_file, read_state_dict, strip_weights_ext

logger = logging.getLogger("ppocr")

SHOW = 5  # names shown in summaries and errors


def load_pretrained_weights(
    model: paddle.nn.Layer, path: str, allow_shape_mismatch: bool = False, require_complete: bool = False
) -> dict[str, list]:
    """Load matching tensors from ``path`` into ``model``.

    ``path`` is a file (``.pdparams`` or ``.safetensors``), a prefix naming one, or the name
    of a model in ``ppocr.zoo`` (``ch_PP-OCRv2_rec``: its pulled trainable checkpoint). The
    file is read without executing anything in it (``state_dict_io.read_state_dict``).
    Tensors the model lacks are skipped, model tensors the file lacks keep their
    initialisation (unless ``require_complete``), and dtypes are cast to the model's
    (fp16 weights load into fp32).

    Returns:
        ``{loaded, missing, unexpected, shape_mismatch}``; ``shape_mismatch`` holds
        ``(key, checkpoint_shape, model_shape)``.

    Raises:
        ConfigError: shapes differ (unless ``allow_shape_mismatch``, then those tensors
            are skipped), no tensor matches at all, or ``require_complete`` and some model
            tensors are not in the file (eval/export of a partly random model).
        DataError: the file does not exist or cannot be read safely.
    """
    found = find_weights_file(path)
    if found is None and os.fspath(path) in _zoo_names():
        # a pulled model's name (ppocr models list): its train/model checkpoint, pulled on first use
        from ppocr.zoo.pull import pretrained_checkpoint

        found = pretrained_checkpoint(os.fspath(path))
    if found is None:
        raise DataError(f"pretrained weights not found: {strip_weights_ext(os.fspath(path))}.pdparams "
                        "(or .safetensors)")
    path = found
    params = read_state_dict(path, "weights file")
    params.pop(NAME_TABLE, None)
    report, new_state = match_state_dict(model, params, path)
    if report["shape_mismatch"] and not allow_shape_mismatch:
        shown = "; ".join(f"{k}: file {list(a)} vs model {list(b)}" for k, a, b in report["shape_mismatch"])
        raise ConfigError(f"{path}: {len(report['shape_mismatch'])} tensor(s) differ in shape from the "
                          f"model: {shown}. Set Global.allow_shape_mismatch: true to skip them "
                          "(e.g. a head with another dictionary)")
    if not report["loaded"] and report["missing"]:
        raise ConfigError(f"{path}: no tensor matches the model (file keys: {first_names(list(params))}; "
                          f"model keys: {first_names(report['missing'] + report['shape_mismatch'])})")
    unset = report["missing"] + [k for k, _, _ in report["shape_mismatch"]]
    if require_complete and unset:
        total = len(report["loaded"]) + len(unset)
        raise ConfigError(f"{path}: {len(unset)} of the model's {total} tensors are not in the file "
                          f"({first_names(unset)}): the model would run partly on random weights. Use "
                          "weights of this architecture, or set Global.allow_partial_load: true")
    # hand Paddle a complete dict (the unmatched tensors as they are), or it warns once per tensor
    model.set_state_dict({**model.state_dict(), **new_state})
    logger.info("pretrained %s: %s", path, summarize(report))
    return report


def _zoo_names() -> frozenset[str]:
    from ppocr.zoo.models import ZOO  # a data table: no import above this package

    return frozenset(ZOO)


def match_state_dict(model: paddle.nn.Layer, params: Mapping[str, Any],
                     source: str = "weights file") -> tuple[dict[str, list], dict[str, Any]]:
    """Which checkpoint tensors fit the model, cast to the model's dtypes."""
    model_state = model.state_dict()
    report: dict[str, list] = {"loaded": [], "missing": [], "unexpected": [], "shape_mismatch": []}
    new_state = {}
    for key, target in model_state.items():
        if key not in params:
            report["missing"].append(key)
            continue
        value = params[key]
        if not isinstance(value, (paddle.Tensor, np.ndarray, np.generic)):
            raise DataError(f"{source}: {key!r} holds a {type(value).__name__}, expected a tensor")
        if not isinstance(value, paddle.Tensor):
            value = paddle.to_tensor(np.asarray(value))
        if list(value.shape) != list(target.shape):
            report["shape_mismatch"].append((key, tuple(value.shape), tuple(target.shape)))
            continue
        if value.dtype != target.dtype:
            value = value.astype(target.dtype)
        new_state[key] = value
        report["loaded"].append(key)
    report["unexpected"] = [k for k in params if k not in model_state]
    return report, new_state


def first_names(names: list) -> str:
    shown = ", ".join(str(n[0] if isinstance(n, tuple) else n) for n in names[:SHOW])
    return shown + (", ..." if len(names) > SHOW else "")


def summarize(report: Mapping[str, list]) -> str:
    parts = [f"loaded {len(report['loaded'])}"]
    for key in ("missing", "unexpected", "shape_mismatch"):
        if report[key]:
            parts.append(f"{key} {len(report[key])} ({first_names(report[key])})")
    return ", ".join(parts)
