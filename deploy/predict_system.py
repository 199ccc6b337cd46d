"""Thin wrapper: see ppocr/commands/predict_system.py (`--help`)."""

import sys

from ppocr.commands.predict_system import main

if __name__ == "__main__":
    main(sys.argv[1:])
