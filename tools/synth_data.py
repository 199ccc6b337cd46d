"""Write synthetic rec/det/cls datasets (see ``--help``)."""

import sys

from ppocr.commands.entry import run_cli
from ppocr.commands.synth_data import main

if __name__ == "__main__":
    sys.exit(run_cli(main))
