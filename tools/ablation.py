"""Ablation of PP-OCRv2's tricks: ``python tools/ablation.py --task rec --steps 300``."""

import sys

from ppocr.commands.ablation import main

if __name__ == "__main__":
    main(sys.argv[1:])
