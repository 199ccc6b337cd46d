"""Data transforms, one file per family; each op maps a sample dict to a sample dict (or None)."""

from __future__ import annotations

from typing import Any

from ppocr.errors import ConfigError
from ppocr.registry import TRANSFORMS, import_submodules

import_submodules(__name__)


def build_transforms(op_list: list[dict[str, Any]], global_cfg: dict[str, Any] | None = None,
                     where: str = "transforms") -> list:
    """Build ``[{OpName: params}, ...]`` as written in PaddleOCR configs."""
    if not isinstance(op_list, list):
        raise ConfigError(f"{where}: expected a list of {{OpName: params}}, got {type(op_list).__name__}")
    ops = []
    for i, item in enumerate(op_list):
        if not isinstance(item, dict) or len(item) != 1:
            raise ConfigError(f"{where}[{i}]: expected one {{OpName: params}} mapping, got {item!r}")
        (name, params), = item.items()
        if params is not None and not isinstance(params, dict):
            raise ConfigError(f"{where}[{i}] {name}: parameters must be a mapping, got {params!r}")
        ops.append(TRANSFORMS.build({"name": name, **(params or {})}, where=f"{where}[{i}]",
                                    global_cfg=global_cfg))
    return ops


def transform(data: dict[str, Any], ops: list) -> Any:
    """Apply ops in order; ``None`` from an op means the sample is unusable."""
    for op in ops:
        data = op(data)
        if data is None:
            return None
    return data


def is_train_only(op: Any) -> bool:
    """Whether a ``{OpName: params}`` entry names a transform that declares ``train_only``.

    Label encoders, augmentations and ``KeepKeys`` set ``train_only = True``; export and the
    dygraph infer tools keep only the rest of ``Eval.dataset.transforms``. An unknown name is
    not train-only (building it reports the unknown name).
    """
    if not isinstance(op, dict) or len(op) != 1:
        return False
    (name,) = op
    if name not in TRANSFORMS:
        return False
    return bool(getattr(TRANSFORMS.get(name), "train_only", False))


def inference_ops(op_list: list[Any]) -> list[Any]:
    """``op_list`` without its train-only entries (the list itself is not mutated)."""
    return [op for op in op_list if not is_train_only(op)]


def find_op(op_list: list[Any] | None, name: str) -> dict[str, Any] | None:
    """Parameters of the first ``name`` entry in a ``[{OpName: params}, ...]`` list (``{}`` when
    it has none), or ``None`` when the list has no such op. One lookup for config sections
    (``Eval.dataset.transforms``) and exported settings (``PreProcess.transform_ops``).
    """
    for op in op_list or []:
        if isinstance(op, dict) and name in op:
            return op[name] or {}
    return None
