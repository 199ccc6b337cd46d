"""Per-stage profile of the OCR system on the sample photos, variants side by side (see ``--help``)."""

from ppocr.commands.entry import run_cli
from ppocr.experiments.profile_system import main

if __name__ == "__main__":
    run_cli(main)
