"""Evaluate a trained model: ``python tools/eval.py -c CFG -o Global.checkpoints=output/rec/best_accuracy``."""

from ppocr.commands.entry import run_cli
from ppocr.commands.eval import main

if __name__ == "__main__":
    run_cli(main)
