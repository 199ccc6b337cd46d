"""Convert model weights between .pdparams and .safetensors (see ``--help``)."""

from ppocr.commands.convert_weights import main
from ppocr.commands.entry import run_cli

if __name__ == "__main__":
    run_cli(main)
