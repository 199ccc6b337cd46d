"""Dygraph recognition with trained weights (see ``--help``)."""

from ppocr.commands.entry import run_cli
from ppocr.commands.infer_rec import main

if __name__ == "__main__":
    run_cli(main)
