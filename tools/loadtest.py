"""Bounded loopback load test of an OCR server (see ``--help``)."""

from ppocr.commands.entry import run_cli
from ppocr.commands.loadtest import main

if __name__ == "__main__":
    run_cli(main)
