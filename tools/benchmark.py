"""Per-stage OCR latency with oneDNN on and off (see ``--help``)."""

from ppocr.commands.benchmark import main
from ppocr.commands.entry import run_cli

if __name__ == "__main__":
    run_cli(main)
