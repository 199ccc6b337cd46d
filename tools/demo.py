"""The quick start: train, export and predict the synthetic recognition demo (`finetune_v4`: the v4 fine-tune)."""

from ppocr.commands.demo import main
from ppocr.commands.entry import run_cli

if __name__ == "__main__":
    run_cli(main)
