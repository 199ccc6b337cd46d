"""``ppocr train|eval|export|infer_rec|predict_rec|synth ...``: the tools as one command."""

from __future__ import annotations

import importlib
import sys

from ppocr.commands.entry import run_cli

COMMANDS = {
    "demo": "ppocr.commands.demo",
    "train": "ppocr.commands.train",
    "eval": "ppocr.commands.eval",
    "eval_e2e": "ppocr.commands.eval_e2e",
    "export": "ppocr.commands.export_model",
    "infer_rec": "ppocr.commands.infer_rec",
    "infer_det": "ppocr.commands.infer_det",
    "predict_rec": "ppocr.commands.predict_rec",
    "predict_det": "ppocr.commands.predict_det",
    "predict_cls": "ppocr.commands.predict_cls",
    "predict_system": "ppocr.commands.predict_system",
    "synth": "ppocr.commands.synth_data",
    "benchmark": "ppocr.commands.benchmark",
    "extract_submodel": "ppocr.commands.extract_submodel",
    "export_center": "ppocr.commands.export_center",
    "ablation": "ppocr.commands.ablation",
    "convert_weights": "ppocr.commands.convert_weights",
    "import_model": "ppocr.commands.import_model",
    "models": "ppocr.commands.models",
    "ocr": "ppocr.commands.ocr",
    "label": "ppocr.commands.label",
    "serve": "ppocr.commands.serve",
    "loadtest": "ppocr.commands.loadtest",
    "benchmark_peers": "ppocr.commands.benchmark_peers",
    "train_speed": "ppocr.commands.train_speed",
}


def main(argv: list[str] | None = None) -> None:
    """Dispatch ``ppocr CMD ...``; typed errors print ``error: ...`` (``--debug`` keeps tracebacks)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print(f"usage: ppocr {{{'|'.join(COMMANDS)}}} [options] [--debug]   (ppocr CMD --help for each)")
        raise SystemExit(0 if argv and argv[0] in ("-h", "--help") else 2)
    command = importlib.import_module(COMMANDS[argv[0]]).main
    run_cli(command, argv[1:])


if __name__ == "__main__":
    main()
