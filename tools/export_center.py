"""Centers for CenterLoss: ``python tools/export_center.py -c CFG -o Global.pretrained_model=...``."""

from ppocr.commands.entry import run_cli
from ppocr.commands.export_center import main

if __name__ == "__main__":
    run_cli(main)
