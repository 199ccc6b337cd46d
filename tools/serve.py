"""The OCR HTTP server: ``ppocr serve`` (see ``--help``)."""

from ppocr.commands.entry import run_cli
from ppocr.commands.serve import main

if __name__ == "__main__":
    run_cli(main)
