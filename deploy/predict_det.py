"""Thin wrapper: see ppocr/commands/predict_det.py (`--help`)."""

from ppocr.commands.entry import run_cli
from ppocr.commands.predict_det import main

if __name__ == "__main__":
    run_cli(main)
