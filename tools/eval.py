"""Evaluate a trained model: ``python tools/eval.py -c CFG -o Global.checkpoints=output/rec/best_accuracy``."""

import sys

from ppocr.commands.eval import main

if __name__ == "__main__":
    main(sys.argv[1:])
