"""Deep copies made of builtins only, so a ``.states`` file loads without arbitrary classes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import paddle

from ppocr.errors import ConfigError


def plain(obj: Any, where: str) -> Any:
    """A deep copy made of builtins only, so ``.states`` loads without arbitrary classes."""
    if obj is None or isinstance(obj, (bool, int, float, str, bytes)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, paddle.Tensor) and obj.size == 1:
        return obj.item()
    if isinstance(obj, Mapping):
        return {k: plain(v, f"{where}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        items = [plain(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        return items if isinstance(obj, list) else tuple(items)
    raise ConfigError(f"checkpoint {where}: cannot store a {type(obj).__name__} (plain data only)")
