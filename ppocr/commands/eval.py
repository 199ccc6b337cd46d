"""Evaluate a trained model: ``python tools/eval.py -c CFG -o Global.checkpoints=output/rec/best_accuracy``."""

from __future__ import annotations

from typing import Any

from ppocr.commands.cli_args import config_parser, load_cli_config
from ppocr.synth.from_config import ensure_synth_data


def run_eval(config: dict[str, Any]) -> dict[str, Any]:
    """Score the config's weights on ``Eval``; returns the metric dict (see ``evaluate``)."""
    from ppocr.engine.components import build_components
    from ppocr.engine.evaluator import evaluate, format_eval, load_weights_for_eval
    from ppocr.engine.trainer import select_device
    from ppocr.utils.logging import get_logger

    select_device(config["Global"])
    parts = build_components(config, mode="eval", seed=config["Global"].get("seed"))
    path = load_weights_for_eval(config, parts.model)
    result = evaluate(parts.model, parts.eval_loader, parts.post_process, parts.metric)
    get_logger().info("eval of %s: %s", path, format_eval(result))
    return result


def main(argv: list[str] | None = None) -> dict:
    args = config_parser(__doc__).parse_args(argv)
    config = load_cli_config(args)
    ensure_synth_data(config)
    return run_eval(config)
