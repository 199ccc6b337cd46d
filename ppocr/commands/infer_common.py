"""What the dygraph ``tools/infer_*.py`` share: the trained model and the inference transforms."""

from __future__ import annotations

import os
from typing import Any

from ppocr.data.imaug import build_transforms, inference_ops, transform
from ppocr.engine.components import build_components
from ppocr.engine.evaluator import load_weights_for_eval
from ppocr.errors import ConfigError, DataError
from ppocr.utils.logging import get_logger


def load_infer_model(config: dict[str, Any]):
    """The config's model with ``Global.pretrained_model`` (or ``checkpoints``) loaded, in eval mode.

    Also checks ``Global.infer_img`` first, so a missing input fails before the weights load.
    """
    if not (config.get("Global") or {}).get("infer_img"):
        raise ConfigError("set Global.infer_img to an image or a folder")
    model = build_components(config, mode="model").model
    load_weights_for_eval(config, model)
    model.eval()
    return model


def build_infer_ops(config: dict[str, Any], keep_keys: list[str]) -> list:
    """``Eval.dataset.transforms`` without label/augmentation ops, ending in ``KeepKeys(keep_keys)``.

    The eval pipeline is what the model was scored with, so inference preprocesses the same way
    (upstream edits the config's op list in place instead; this leaves the config untouched).
    """
    try:
        eval_ops = config["Eval"]["dataset"]["transforms"]
    except (KeyError, TypeError) as exc:
        raise ConfigError("inference needs Eval.dataset.transforms (the preprocessing to apply)") from exc
    if not isinstance(eval_ops, list):
        raise ConfigError(f"Eval.dataset.transforms: expected a list, got {type(eval_ops).__name__}")
    kept = inference_ops(eval_ops)
    return build_transforms(kept + [{"KeepKeys": {"keep_keys": list(keep_keys)}}], config["Global"],
                            where="Eval.dataset.transforms (inference)")


def preprocess_file(path: str, ops: list) -> Any:
    """The file's bytes through ``ops`` (``None`` when an op rejects the image).

    Raises:
        DataError: ``path`` is a folder or cannot be read or decoded (the infer tools skip and
            count such entries, as the predictors do).
    """
    if os.path.isdir(path):
        raise DataError(f"{path}: is a directory, not an image")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the image: {exc.strerror or exc}") from exc
    return transform({"image": raw, "img_path": path}, ops)


def skip_row(path: str, reason: str) -> dict[str, str]:
    """The result row of an input the infer tools skip, logged once."""
    get_logger().warning("%s: %s; skipped", path, reason)
    return {"path": path, "error": reason}
