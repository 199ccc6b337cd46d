"""Save one sub-model of a distillation checkpoint as a plain model's weights (see ``--help``)."""

import sys

from ppocr.commands.extract_submodel import main

if __name__ == "__main__":
    main(sys.argv[1:])
