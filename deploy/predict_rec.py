"""Recognize text line images with paddle.inference (see ``--help``)."""

import sys

from ppocr.commands.predict_rec import main

if __name__ == "__main__":
    main(sys.argv[1:])
