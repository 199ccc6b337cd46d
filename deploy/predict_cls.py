"""Thin wrapper: see ppocr/commands/predict_cls.py (`--help`)."""

import sys

from ppocr.commands.predict_cls import main

if __name__ == "__main__":
    main(sys.argv[1:])
