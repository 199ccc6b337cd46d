"""Export to ``inference.json`` + ``.pdiparams`` + ``inference.yml``."""

import sys

from ppocr.commands.export_model import main

if __name__ == "__main__":
    main(sys.argv[1:])
