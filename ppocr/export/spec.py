"""Input spec each architecture declares for export (one exporter uses it)."""

from __future__ import annotations

from typing import Any

from paddle.static import InputSpec

from ppocr.data.imaug import find_op
from ppocr.errors import ConfigError

DEFAULT_REC_SHAPE = (3, 32, 320)
DEFAULT_CLS_SHAPE = (3, 48, 192)


def _section_ops(config: dict[str, Any], section: str) -> list[Any]:
    return (((config.get(section) or {}).get("dataset") or {}).get("transforms")) or []


def _first_op(config: dict[str, Any], name: str) -> dict[str, Any] | None:
    """``name``'s parameters in Eval's transforms, else Train's."""
    found = find_op(_section_ops(config, "Eval"), name)
    return found if found is not None else find_op(_section_ops(config, "Train"), name)


def image_shape_for(config: dict[str, Any], model_type: str) -> list[int] | None:
    """C, H, W the model expects (None for det: any size)."""
    if model_type == "det":
        return None
    if model_type == "rec":
        op = _first_op(config, "RecResizeImg")
        shape = (op or {}).get("image_shape") or config["Global"].get("d2s_train_image_shape") or DEFAULT_REC_SHAPE
    elif model_type == "cls":
        op = _first_op(config, "ClsResizeImg")
        shape = (op or {}).get("image_shape") or DEFAULT_CLS_SHAPE
    else:
        raise ConfigError(f"Architecture.model_type {model_type!r} cannot be exported")
    if len(shape) != 3:
        raise ConfigError(f"image_shape must be [C, H, W], got {shape!r}")
    return [int(s) for s in shape]


def input_spec(config: dict[str, Any], model_type: str) -> list[InputSpec]:
    """Dynamic batch; dynamic H/W for det, dynamic W for rec, fixed for cls."""
    shape = image_shape_for(config, model_type)
    if model_type == "det":
        return [InputSpec(shape=[None, 3, None, None], dtype="float32", name="x")]
    c, h, w = shape
    if model_type == "rec":
        return [InputSpec(shape=[None, c, h, None], dtype="float32", name="x")]
    return [InputSpec(shape=[None, c, h, w], dtype="float32", name="x")]
