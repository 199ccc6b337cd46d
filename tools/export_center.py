"""Centers for CenterLoss: ``python tools/export_center.py -c CFG -o Global.pretrained_model=...``."""

import sys

from ppocr.commands.export_center import main

if __name__ == "__main__":
    main(sys.argv[1:])
