"""Recognize text line images with paddle.inference (see ``--help``)."""

from ppocr.commands.entry import run_cli
from ppocr.commands.predict_rec import main

if __name__ == "__main__":
    run_cli(main)
