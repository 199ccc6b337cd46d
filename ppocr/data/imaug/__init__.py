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
