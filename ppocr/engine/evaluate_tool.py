"""Evaluation of saved weights, behind tools/eval.py."""

from __future__ import annotations

from typing import Any

from ppocr.engine.checkpoint import load_pretrained_weights
from ppocr.engine.components import build_components
from ppocr.engine.evaluator import evaluate, format_eval
from ppocr.engine.trainer import select_device
from ppocr.errors import ConfigError
from ppocr.utils.logging import get_logger


def load_weights_for_eval(config: dict[str, Any], model) -> str:
    g = config["Global"]
    path = g.get("checkpoints") or g.get("pretrained_model")
    if not path:
        raise ConfigError("set Global.checkpoints (or Global.pretrained_model) to the weights to use")
    load_pretrained_weights(model, path)
    return path


def run_eval(config: dict[str, Any]) -> dict[str, Any]:
    select_device(config["Global"])
    parts = build_components(config, mode="eval", seed=config["Global"].get("seed"))
    path = load_weights_for_eval(config, parts.model)
    result = evaluate(parts.model, parts.eval_loader, parts.post_process, parts.metric)
    get_logger().info("eval of %s: %s", path, format_eval(result))
    return result
