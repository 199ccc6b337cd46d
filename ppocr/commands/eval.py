"""Evaluate a trained model: ``python tools/eval.py -c CFG -o Global.checkpoints=output/rec/best_accuracy``."""

from __future__ import annotations

from ppocr.engine.cli_args import config_parser, load_cli_config
from ppocr.engine.synth_hook import ensure_synth_data


def main(argv: list[str] | None = None) -> dict:
    args = config_parser(__doc__).parse_args(argv)
    config = load_cli_config(args)
    ensure_synth_data(config)
    from ppocr.engine.evaluate_tool import run_eval

    return run_eval(config)
