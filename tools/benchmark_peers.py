"""Every OCR engine side by side on the same photos, models and settings; our ratios (see ``--help``)."""

from ppocr.commands.benchmark_peers import main
from ppocr.commands.entry import run_cli

if __name__ == "__main__":
    run_cli(main)
