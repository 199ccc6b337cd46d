"""Training samples/s of a config, ppocr against upstream PaddleOCR."""

from ppocr.commands.entry import run_cli
from ppocr.commands.train_speed import main

if __name__ == "__main__":
    run_cli(main)
