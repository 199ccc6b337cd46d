"""Export to ``inference.json`` + ``.pdiparams`` + ``inference.yml``."""

from ppocr.commands.entry import run_cli
from ppocr.commands.export_model import main

if __name__ == "__main__":
    run_cli(main)
