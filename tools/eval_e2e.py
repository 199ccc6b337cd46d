"""End-to-end OCR evaluation on labelled photos: ``python tools/eval_e2e.py --label_file L --results R``."""

from ppocr.commands.entry import run_cli
from ppocr.commands.eval_e2e import main

if __name__ == "__main__":
    run_cli(main)
