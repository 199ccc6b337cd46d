"""Save one sub-model of a distillation checkpoint as a plain model's weights (see ``--help``)."""

from ppocr.commands.entry import run_cli
from ppocr.commands.extract_submodel import main

if __name__ == "__main__":
    run_cli(main)
