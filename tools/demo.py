"""The quick start: train, export and predict the synthetic recognition demo."""

import sys

from ppocr.commands.demo import main

if __name__ == "__main__":
    main(sys.argv[1:])
