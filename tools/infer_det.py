"""Dygraph text detection with trained weights (see ``--help``)."""

import sys

from ppocr.commands.infer_det import main

if __name__ == "__main__":
    main(sys.argv[1:])
