"""Import an .onnx file or a Paddle inference dir as trainable weights (see ``--help``)."""

from ppocr.commands.entry import run_cli
from ppocr.commands.import_model import main

if __name__ == "__main__":
    run_cli(main)
