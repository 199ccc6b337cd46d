"""Train a model from a PaddleOCR-style config: ``python tools/train.py -c CFG -o Key=value``."""

import sys

from ppocr.commands.train import main

if __name__ == "__main__":
    main(sys.argv[1:])
