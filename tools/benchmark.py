"""Per-stage OCR latency with oneDNN on and off (see ``--help``)."""

import sys

from ppocr.commands.benchmark import main

if __name__ == "__main__":
    main(sys.argv[1:])
