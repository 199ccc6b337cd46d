"""Ablation of PP-OCRv2's tricks: ``python tools/ablation.py --task rec --steps 300``."""

from ppocr.commands.ablation import main
from ppocr.commands.entry import run_cli

if __name__ == "__main__":
    run_cli(main)
