"""Thin wrapper: see ppocr/commands/predict_det.py (`--help`)."""

import sys

from ppocr.commands.predict_det import main

if __name__ == "__main__":
    main(sys.argv[1:])
