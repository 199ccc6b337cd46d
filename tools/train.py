"""Train a model from a PaddleOCR-style config: ``python tools/train.py -c CFG -o Key=value``."""

from ppocr.commands.entry import run_cli
from ppocr.commands.train import main

if __name__ == "__main__":
    run_cli(main)
