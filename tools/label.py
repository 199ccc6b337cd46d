"""Label photos in the browser: ``python tools/label.py IMAGE_DIR`` (also ``export``, ``split``; see ``--help``)."""

from ppocr.commands.entry import run_cli
from ppocr.commands.label import main

if __name__ == "__main__":
    run_cli(main)
