"""Settings of an exported model: our ``inference.yml``, or upstream defaults plus flags."""

from __future__ import annotations

import os
from typing import Any

from ppocr.config import read_config_text, safe_load_text
from ppocr.data.imaug import find_op
from ppocr.errors import ConfigError


def read_inference_yml(model_dir: str) -> dict[str, Any] | None:
    """Our exporter's ``inference.yml`` (None for a model exported by upstream PaddleOCR).

    Read with the config loader's limits (size, nesting, aliases): a model dir may come
    from anyone.

    Raises:
        ConfigError: ``model_dir`` is not a directory, or the file is not valid settings.
    """
    if not os.path.isdir(model_dir):
        raise ConfigError(f"model dir not found: {model_dir}")
    path = os.path.join(model_dir, "inference.yml")
    if not os.path.isfile(path):
        return None
    settings = safe_load_text(read_config_text(path), path) or {}
    if not isinstance(settings, dict) or not isinstance(settings.get("Global"), dict):
        raise ConfigError(f"{path}: expected sections Global/PreProcess/PostProcess")
    return settings


def preprocess_op(settings: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    """``name``'s parameters in an ``inference.yml``'s ``PreProcess.transform_ops``."""
    return find_op(((settings or {}).get("PreProcess") or {}).get("transform_ops"), name)


def parse_shape(value: Any, what: str) -> list[int]:
    """``"3, 48, 320"`` (upstream flag style) or a list."""
    if isinstance(value, str):
        value = [v for v in value.replace(" ", "").split(",") if v]
    try:
        shape = [int(v) for v in value]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{what}: expected C,H,W integers, got {value!r}") from exc
    if len(shape) != 3:
        raise ConfigError(f"{what}: expected C,H,W, got {value!r}")
    return shape
